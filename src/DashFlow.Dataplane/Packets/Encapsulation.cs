using System.Buffers.Binary;
using DashFlow.Model;

namespace DashFlow.Dataplane.Packets;

/// <summary>
/// VXLAN and NVGRE encapsulation of an Ethernet frame for the flow actions ENCAP_U0 and ENCAP_U1 (U1 goes outside U0), written
/// into a caller's buffer with no allocation.
/// </summary>
/// <remarks>
/// Outer headers: Ethernet (underlay SMAC/DMAC, no VLAN), IPv4 (ID 0, DF clear, TTL 64, header checksum) or IPv6 (hop limit
/// 64, flow label from the entropy), then UDP (source port from the entropy, destination 4789; checksum 0 over IPv4 as
/// RFC 7348 allows, computed over IPv6) and the VXLAN header (I flag, VNI); or GRE with the key bit, protocol 0x6558 and
/// key = VSID &lt;&lt; 8 | flow id (the entropy's low byte).
/// </remarks>
public static class Encapsulation
{
    /// <summary>The ephemeral range RFC 7348 recommends for the outer UDP source port.</summary>
    public const ushort MinSourcePort = 49152;

    /// <summary>The outer UDP source port for an inner flow hash: 49152–65535.</summary>
    public static ushort SourcePort(uint flowHash) => (ushort)(MinSourcePort | ((flowHash ^ (flowHash >> 16)) & 0x3FFF));

    /// <summary>The bytes the encapsulation puts in front of the frame, or -1 for an unusable underlay.</summary>
    public static int HeaderLength(in UnderlayEncap encap)
    {
        if (encap.Sip.IsV6 != encap.Dip.IsV6)
        {
            return -1;
        }

        int ip = encap.Sip.IsV6 ? 40 : 20;
        return encap.Encapsulation switch
        {
            DashEncapsulation.Vxlan => 14 + ip + 8 + 8,
            DashEncapsulation.Nvgre => 14 + ip + 8,
            _ => -1,
        };
    }

    /// <summary>Copies <paramref name="innerFrame"/> behind the outer headers of <paramref name="encap"/> (the spans may overlap).</summary>
    /// <param name="innerFrame">The Ethernet frame to carry.</param>
    /// <param name="destination">The output buffer.</param>
    /// <param name="encap">The underlay (UNDERLAYn_*): VNI/VSID, SIP, DIP, SMAC, DMAC, encapsulation.</param>
    /// <param name="entropy">Per-flow entropy (e.g. <see cref="ParsedPacket.FlowHash"/>): outer UDP source port, IPv6 flow label, NVGRE flow id.</param>
    /// <param name="written">The output frame's length.</param>
    /// <returns>False when the underlay is unusable (encapsulation INVALID, mixed address families) or the buffer is too small.</returns>
    public static bool TryEncapsulate(ReadOnlySpan<byte> innerFrame, Span<byte> destination, in UnderlayEncap encap, uint entropy, out int written)
    {
        written = 0;
        int header = HeaderLength(in encap);
        if (header < 0 || destination.Length < header + innerFrame.Length || innerFrame.Length > 0xFFFF - 100)
        {
            return false;
        }

        innerFrame.CopyTo(destination[header..]);
        WriteHeaders(destination[..(header + innerFrame.Length)], in encap, entropy);
        written = header + innerFrame.Length;
        return true;
    }

    /// <summary>ENCAP_U0 and ENCAP_U1 together: U0 around the frame, U1 around that.</summary>
    public static bool TryEncapsulate(ReadOnlySpan<byte> innerFrame, Span<byte> destination, in UnderlayEncap underlay0, in UnderlayEncap underlay1, uint entropy, out int written)
    {
        written = 0;
        int header0 = HeaderLength(in underlay0);
        int header1 = HeaderLength(in underlay1);
        if (header0 < 0 || header1 < 0 || destination.Length < header0 + header1 + innerFrame.Length || innerFrame.Length > 0xFFFF - 200)
        {
            return false;
        }

        innerFrame.CopyTo(destination[(header1 + header0)..]);
        int length0 = header0 + innerFrame.Length;
        WriteHeaders(destination.Slice(header1, length0), in underlay0, entropy);
        WriteHeaders(destination[..(header1 + length0)], in underlay1, entropy);
        written = header1 + length0;
        return true;
    }

    /// <summary>Writes the outer headers at the start of <paramref name="packet"/>, whose payload (the inner frame) already
    /// sits after the first <see cref="HeaderLength"/> bytes, up to the span's end. The underlay must be usable.</summary>
    public static void WriteHeaders(Span<byte> packet, in UnderlayEncap encap, uint entropy)
    {
        bool v6 = encap.Sip.IsV6;
        bool vxlan = encap.Encapsulation == DashEncapsulation.Vxlan;
        encap.Dmac.WriteBytes(packet);
        encap.Smac.WriteBytes(packet[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(packet[12..], v6 ? EtherTypes.Ipv6 : EtherTypes.Ipv4);
        int l3 = 14;
        int l4 = l3 + (v6 ? 40 : 20);
        int l4Length = packet.Length - l4;
        byte protocol = vxlan ? IpProtocols.Udp : IpProtocols.Gre;
        var ip = packet[l3..];
        if (v6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(ip, 0x6000_0000u | (entropy & 0xF_FFFF));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)l4Length);
            ip[6] = protocol;
            ip[7] = 64;
            encap.Sip.WriteBytes(ip[8..]);
            encap.Dip.WriteBytes(ip[24..]);
        }
        else
        {
            ip[0] = 0x45;
            ip[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(packet.Length - l3));
            BinaryPrimitives.WriteUInt32BigEndian(ip[4..], 0); // identification 0, no flags, offset 0
            ip[8] = 64;
            ip[9] = protocol;
            ip[10] = 0;
            ip[11] = 0;
            encap.Sip.WriteBytes(ip[12..]);
            encap.Dip.WriteBytes(ip[16..]);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip[..20]));
        }

        var tunnel = packet[l4..];
        if (vxlan)
        {
            BinaryPrimitives.WriteUInt16BigEndian(tunnel, SourcePort(entropy));
            BinaryPrimitives.WriteUInt16BigEndian(tunnel[2..], PacketParser.VxlanPort);
            BinaryPrimitives.WriteUInt16BigEndian(tunnel[4..], (ushort)l4Length);
            BinaryPrimitives.WriteUInt16BigEndian(tunnel[6..], 0);
            BinaryPrimitives.WriteUInt32BigEndian(tunnel[8..], 0x0800_0000u);
            BinaryPrimitives.WriteUInt32BigEndian(tunnel[12..], (encap.VnetId & 0xFF_FFFF) << 8);
            if (v6)
            {
                ulong sum = Checksum.PseudoHeaderSum(ip.Slice(8, 16), ip.Slice(24, 16), IpProtocols.Udp, l4Length);
                ushort checksum = Checksum.Compute(tunnel[..l4Length], sum);
                BinaryPrimitives.WriteUInt16BigEndian(tunnel[6..], checksum == 0 ? (ushort)0xFFFF : checksum);
            }
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(tunnel, 0x2000); // K bit, version 0
            BinaryPrimitives.WriteUInt16BigEndian(tunnel[2..], EtherTypes.TransparentEthernetBridging);
            BinaryPrimitives.WriteUInt32BigEndian(tunnel[4..], ((encap.VnetId & 0xFF_FFFF) << 8) | (byte)(entropy ^ (entropy >> 8) ^ (entropy >> 16)));
        }
    }
}
