using System.Buffers.Binary;
using DashFlow.Dataplane.Packets;
using PacketDotNet;

namespace DashFlow.Dataplane.Tests;

/// <summary>Compares our parse with PacketDotNet's reading of the same bytes, and with the generator's choices.</summary>
internal static class Oracle
{
    public static void AssertMatches(byte[] frame, PacketSpec spec, in ParsedPacket p, string context)
    {
        Assert.True(p.IsValid, $"{context}: dropped as {p.DropReason}");
        var top = TestPackets.Parse(frame);
        EthernetPacket innerEth;
        if (spec.Vni is uint vni)
        {
            var vxlan = top.Extract<VxlanPacket>();
            Assert.NotNull(vxlan);
            Assert.Equal(vni, vxlan.Vni);
            Assert.Equal(TunnelKind.Vxlan, p.TunnelKind);
            Assert.Equal(vni, p.TunnelId);
            Assert.Equal(1, p.TunnelDepth);
            Assert.True((p.Flags & PacketFlags.Tunneled) != 0);
            innerEth = vxlan.PayloadPacket as EthernetPacket ?? (EthernetPacket)TestPackets.ParseSegment(frame, spec.InnerOffset);
            Assert.Equal(spec.InnerOffset, p.Inner.EthernetOffset);
            var outerIp = top.Extract<IPPacket>();
            Assert.Equal(outerIp.SourceAddress, IpOf(frame, p.Outer, source: true));
            Assert.Equal(outerIp.SourceAddress, p.TunnelSrcIp.ToIPAddress());
            Assert.Equal(outerIp.DestinationAddress, p.TunnelDstIp.ToIPAddress());
            Assert.Equal(((EthernetPacket)top).SourceHardwareAddress.GetAddressBytes(), p.TunnelSrcMac.ToBytes());
            Assert.Equal(17, p.Outer.L4Protocol);
        }
        else
        {
            innerEth = (EthernetPacket)top;
            Assert.Equal(TunnelKind.None, p.TunnelKind);
            Assert.Equal(0, p.Inner.EthernetOffset);
        }

        Assert.Equal(innerEth.SourceHardwareAddress.GetAddressBytes(), p.InnerSrcMac.ToBytes());
        Assert.Equal(innerEth.DestinationHardwareAddress.GetAddressBytes(), p.InnerDstMac.ToBytes());
        Assert.Equal(spec.Vlans.Length, p.Inner.VlanCount);
        if (spec.Vlans.Length > 0)
        {
            Assert.Equal(spec.Vlans[0], p.Inner.OuterVlanTci & 0xFFF);
            if (spec.Vlans.Length == 1)
            {
                Assert.Equal(spec.Vlans[0], innerEth.Extract<Ieee8021QPacket>().VlanIdentifier);
            }
            else
            {
                Assert.Equal(spec.Vlans[1], p.Inner.InnerVlanTci & 0xFFF);
            }
        }

        // PacketDotNet does not decode 802.1ad: read the IP packet from the untagged bytes it starts at.
        var ip = spec.Vlans.Length > 1
            ? (IPPacket)(spec.V6 ? new IPv6Packet(new PacketDotNet.Utils.ByteArraySegment(frame, p.Inner.L3Offset, frame.Length - p.Inner.L3Offset))
                                 : new IPv4Packet(new PacketDotNet.Utils.ByteArraySegment(frame, p.Inner.L3Offset, frame.Length - p.Inner.L3Offset)))
            : innerEth.Extract<IPPacket>();
        Assert.NotNull(ip);
        Assert.Equal(spec.V6 ? 6 : 4, p.Inner.IpVersion);
        Assert.Equal(ip.SourceAddress, p.SrcIp.ToIPAddress());
        Assert.Equal(ip.DestinationAddress, p.DstIp.ToIPAddress());
        Assert.Equal(spec.Src, p.SrcIp.ToIPAddress());
        Assert.Equal((byte)ip.Protocol, p.IpProtocol);
        Assert.Equal(spec.Protocol, p.IpProtocol);
        Assert.Equal(spec.SrcPort, p.SrcPort);
        Assert.Equal(spec.DstPort, p.DstPort);
        switch (p.IpProtocol)
        {
            case 6:
                var tcp = ip.Extract<TcpPacket>();
                Assert.Equal(tcp.SourcePort, p.SrcPort);
                Assert.Equal(tcp.DestinationPort, p.DstPort);
                Assert.Equal((byte)tcp.Flags, (byte)p.TcpFlags);
                Assert.Equal(spec.TcpFlags, (byte)p.TcpFlags);
                break;
            case 17:
                var udp = ip.Extract<UdpPacket>();
                Assert.Equal(udp.SourcePort, p.SrcPort);
                Assert.Equal(udp.DestinationPort, p.DstPort);
                break;
            case 1:
                var icmp = ip.Extract<IcmpV4Packet>();
                Assert.Equal((byte)((ushort)icmp.TypeCode >> 8), p.IcmpType);
                Assert.Equal((byte)((ushort)icmp.TypeCode & 0xFF), p.IcmpCode);
                AssertIcmpKey(spec, p, icmp.Id);
                break;
            case 58:
                var icmp6 = ip.Extract<IcmpV6Packet>();
                Assert.Equal((byte)icmp6.Type, p.IcmpType);
                Assert.Equal(icmp6.Code, p.IcmpCode);
                AssertIcmpKey(spec, p, BinaryPrimitives.ReadUInt16BigEndian(icmp6.Bytes.AsSpan(4)));
                break;
        }
    }

    private static void AssertIcmpKey(PacketSpec spec, in ParsedPacket p, ushort oracleId)
    {
        Assert.Equal(spec.IcmpEcho, p.IsIcmpEcho);
        Assert.Equal(spec.IcmpError, p.IsIcmpError);
        if (spec.IcmpEcho)
        {
            // D4: the identifier is both ports.
            Assert.Equal(oracleId, p.SrcPort);
            Assert.Equal(oracleId, p.DstPort);
        }
        else
        {
            // D16 (and the error's own key): type and code.
            Assert.Equal(p.IcmpType, p.SrcPort);
            Assert.Equal(p.IcmpCode, p.DstPort);
        }

        if (spec.IcmpError)
        {
            Assert.True((p.Flags & PacketFlags.HasQuoted) != 0);
            Assert.Equal(spec.QuotedProtocol, p.Quoted.IpProtocol);
            Assert.Equal(spec.QuotedSrc, p.Quoted.SrcIp.ToIPAddress());
            Assert.Equal(spec.QuotedDst, p.Quoted.DstIp.ToIPAddress());
            Assert.Equal(spec.QuotedSrcPort, p.Quoted.SrcPort);
            Assert.Equal(spec.QuotedDstPort, p.Quoted.DstPort);
        }
    }

    private static System.Net.IPAddress IpOf(byte[] frame, in HeaderOffsets h, bool source)
    {
        int at = h.IpVersion == 6 ? h.L3Offset + (source ? 8 : 24) : h.L3Offset + (source ? 12 : 16);
        return new System.Net.IPAddress(frame.AsSpan(at, h.IpVersion == 6 ? 16 : 4));
    }
}
