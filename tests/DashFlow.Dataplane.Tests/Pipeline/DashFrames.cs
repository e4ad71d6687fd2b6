using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;

namespace DashFlow.Dataplane.Tests.Pipeline;

/// <summary>The frames of DASH's flow tests (spec §5.2), built with PacketDotNet.</summary>
internal static class DashFrames
{
    public const uint DirectionVni = 60;
    public const ushort VnetId = 100;

    /// <summary>saidashflow.py's inner packet: UDP 10.1.2.51:1234 → 10.1.2.50:90 from the VM's MAC, 100 bytes (ptf's pktlen).</summary>
    public static byte[] InnerUdp() => Udp("10.1.2.51", "10.1.2.50", 1234, 90, payload: 58);

    /// <summary>The inner packet inside VXLAN VNI 60 from 172.16.1.1 to the VIP 172.16.1.100, UDP source port 11638.</summary>
    public static byte[] VxlanToVip(byte[] inner)
    {
        var vxlan = new byte[8 + inner.Length];
        vxlan[0] = 0x08;
        BinaryPrimitives.WriteUInt32BigEndian(vxlan.AsSpan(4), DirectionVni << 8);
        inner.CopyTo(vxlan, 8);
        var eth = new EthernetPacket(PhysicalAddress.Parse("00-00-00-00-00-01"), PhysicalAddress.Parse("00-00-00-00-00-02"), EthernetType.IPv4);
        var ip = new IPv4Packet(IPAddress.Parse("172.16.1.1"), IPAddress.Parse("172.16.1.100")) { TimeToLive = 64 };
        var udp = new UdpPacket(11638, 4789) { PayloadData = vxlan };
        ip.PayloadPacket = udp;
        eth.PayloadPacket = ip;
        udp.UpdateUdpChecksum();
        ip.UpdateIPChecksum();
        return eth.Bytes;
    }

    public static byte[] Udp(string src, string dst, ushort srcPort, ushort dstPort, int payload = 16)
    {
        var eth = new EthernetPacket(PhysicalAddress.Parse("00-00-02-03-04-05"), PhysicalAddress.Parse("00-00-05-06-06-06"), EthernetType.IPv4);
        var ip = new IPv4Packet(IPAddress.Parse(src), IPAddress.Parse(dst)) { TimeToLive = 64, Id = 1 };
        var udp = new UdpPacket(srcPort, dstPort) { PayloadData = Enumerable.Range(0, payload).Select(i => (byte)i).ToArray() };
        ip.PayloadPacket = udp;
        eth.PayloadPacket = ip;
        udp.UpdateUdpChecksum();
        ip.UpdateIPChecksum();
        return eth.Bytes;
    }

    public static byte[] Tcp(string src, string dst, ushort srcPort, ushort dstPort, TcpControl flags)
    {
        var eth = new EthernetPacket(PhysicalAddress.Parse("00-00-02-03-04-05"), PhysicalAddress.Parse("00-00-05-06-06-06"), EthernetType.IPv4);
        var ip = new IPv4Packet(IPAddress.Parse(src), IPAddress.Parse(dst)) { TimeToLive = 64, Id = 1 };
        var tcp = new TcpPacket(srcPort, dstPort) { Flags = (ushort)flags, WindowSize = 8192, SequenceNumber = 1000, PayloadData = [] };
        ip.PayloadPacket = tcp;
        eth.PayloadPacket = ip;
        tcp.UpdateTcpChecksum();
        ip.UpdateIPChecksum();
        return eth.Bytes;
    }
}

/// <summary>TCP flag bits, for building packets.</summary>
[Flags]
internal enum TcpControl : ushort
{
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Psh = 0x08,
    Ack = 0x10,
}
