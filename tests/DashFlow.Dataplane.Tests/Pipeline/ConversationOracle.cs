using System.Buffers.Binary;
using System.Net;
using DashFlow.Dataplane.Capture;
using PacketDotNet;

namespace DashFlow.Dataplane.Tests.Pipeline;

/// <summary>One frame's bidirectional conversation as the oracle sees it: (VNI or 0, protocol, the two endpoints in order).</summary>
internal readonly record struct Conversation(uint Vni, byte Protocol, string Low, string High);

/// <summary>
/// An independent count of a capture's conversations: PacketDotNet parses each frame (our <see cref="CaptureReader"/> only
/// opens the file). The rules are D4/D16's: TCP, UDP and SCTP by ports; ICMP echo by identifier in both ports; other ICMP by
/// (type, code); ICMP errors and non-first fragments skipped; VXLAN (UDP 4789) decapsulated, keyed by its VNI.
/// </summary>
internal static class ConversationOracle
{
    private const int MaxTunnels = 4;

    /// <summary>Each frame's conversation (null when it has none) and its time in ms.</summary>
    public static IEnumerable<(long Ms, Conversation? Conversation)> Walk(string path)
    {
        using var reader = CaptureReader.Open(path);
        while (reader.TryRead(out var record))
        {
            yield return (record.TimestampNanoseconds / 1_000_000, Of(record.Data.ToArray()));
        }
    }

    /// <summary>The distinct conversations of a capture.</summary>
    public static HashSet<Conversation> Distinct(string path) => [.. Walk(path).Where(w => w.Conversation is not null).Select(w => w.Conversation!.Value)];

    /// <summary>The protocol's report name.</summary>
    public static string ProtocolName(byte protocol) => protocol switch { 6 => "tcp", 17 => "udp", 1 => "icmp", 58 => "icmpv6", 132 => "sctp", _ => protocol.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    public static Conversation? Of(byte[] frame)
    {
        uint vni = 0;
        for (int depth = 0; depth <= MaxTunnels; depth++)
        {
            IPPacket? ip;
            try
            {
                ip = Packet.ParsePacket(LinkLayers.Ethernet, frame).Extract<IPPacket>();
            }
            catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException or NotImplementedException)
            {
                return null;
            }

            if (ip is null)
            {
                return null;
            }

            if (!TryTransport(frame, ip, out byte protocol, out int l4))
            {
                return null; // a non-first fragment, or an unreadable header chain
            }

            if (protocol == 17 && l4 + 8 <= frame.Length && BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l4 + 2)) == 4789 && l4 + 16 + 14 <= frame.Length)
            {
                int udpEnd = Math.Min(frame.Length, l4 + BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l4 + 4)));
                vni = BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(l4 + 12)) >> 8;
                frame = frame[(l4 + 16)..udpEnd];
                continue;
            }

            return Key(frame, ip, protocol, l4, vni);
        }

        return null;
    }

    /// <summary>The L4 protocol and header offset after IPv6 extension headers; false for non-first fragments.</summary>
    private static bool TryTransport(byte[] frame, IPPacket ip, out byte protocol, out int l4)
    {
        int l3 = ip.HeaderSegment.Offset;
        if (ip is IPv4Packet v4)
        {
            protocol = (byte)v4.Protocol;
            l4 = l3 + v4.HeaderLength * 4;
            return v4.FragmentOffset == 0;
        }

        // IPv6: walk hop-by-hop, routing, destination options and AH; a fragment header with a non-zero offset ends it.
        protocol = frame[l3 + 6];
        l4 = l3 + 40;
        for (int i = 0; i < 16 && l4 + 8 <= frame.Length; i++)
        {
            switch (protocol)
            {
                case 0 or 43 or 60:
                    (protocol, l4) = (frame[l4], l4 + (frame[l4 + 1] + 1) * 8);
                    break;
                case 51:
                    (protocol, l4) = (frame[l4], l4 + (frame[l4 + 1] + 2) * 4);
                    break;
                case 44:
                    if ((BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l4 + 2)) >> 3) != 0)
                    {
                        return false;
                    }

                    (protocol, l4) = (frame[l4], l4 + 8);
                    break;
                default:
                    return true;
            }
        }

        return true;
    }

    private static Conversation? Key(byte[] frame, IPPacket ip, byte protocol, int l4, uint vni)
    {
        ushort srcPort = 0, dstPort = 0;
        switch (protocol)
        {
            case 6 or 17 or 132:
                if (l4 + 4 > frame.Length)
                {
                    return null;
                }

                srcPort = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l4));
                dstPort = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l4 + 2));
                break;
            case 1 or 58:
                if (l4 + 8 > frame.Length)
                {
                    return null;
                }

                byte type = frame[l4];
                bool v6 = protocol == 58;
                if (v6 ? type is >= 1 and <= 4 : type is 3 or 4 or 5 or 11 or 12)
                {
                    return null; // errors belong to the flow they quote and never make one
                }

                bool echo = v6 ? type is 128 or 129 : type is 8 or 0;
                (srcPort, dstPort) = echo
                    ? (BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l4 + 4)), BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l4 + 4)))
                    : (type, frame[l4 + 1]);
                break;
        }

        string a = Endpoint(ip.SourceAddress, srcPort);
        string b = Endpoint(ip.DestinationAddress, dstPort);
        return string.CompareOrdinal(a, b) <= 0 ? new Conversation(vni, protocol, a, b) : new Conversation(vni, protocol, b, a);
    }

    private static string Endpoint(IPAddress address, ushort port) => $"{address}|{port}";
}
