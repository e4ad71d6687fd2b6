using System.Globalization;
using System.Text.Json;
using DashFlow.Api;
using DashFlow.Dataplane.Packets;
using DashFlow.Model;

namespace DashFlow.Dataplane.Apps.NatGateway;

/// <summary>
/// Reads a gateway configuration from JSON (for <c>dashflow replay --app nat-gateway</c> and the agent):
/// <code>
/// { "outsideVnet": 0, "agingTickMs": 1000,
///   "snat": [ { "vnet": 101, "eip": "203.0.113.1", "firstPort": 1024, "lastPort": 65535 } ],
///   "dnat": [ { "eip": "203.0.113.100", "protocol": "tcp", "port": 443, "backendVnet": 200,
///               "backends": [ "10.200.0.1:8443", "10.200.0.2:8443" ] } ] }
/// </code>
/// Top-level keys are optional; a snat entry needs vnet and eip, a dnat entry eip, protocol, port and backendVnet. Unknown
/// keys are refused, so a typo is not silently a default.
/// </summary>
public static class NatGatewayConfigFile
{
    /// <summary>Parses <paramref name="json"/> into options for the gateway on <paramref name="table"/>.</summary>
    /// <exception cref="FormatException">The JSON is malformed or names an unknown key, a bad address, port or protocol.</exception>
    public static NatGatewayOptions Parse(string json, FlowTableId table)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            Expect(root, JsonValueKind.Object, "the configuration");
            var options = new NatGatewayOptions { Table = table };
            var snat = new List<SnatRule>();
            var dnat = new List<DnatRule>();
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "outsideVnet": options = options with { OutsideVnetId = UShort(property.Value, "outsideVnet") }; break;
                    case "agingTickMs": options = options with { AgingTickMs = Math.Max(1, property.Value.GetInt64()) }; break;
                    case "snat": snat.AddRange(Items(property.Value, "snat").Select(SnatRuleOf)); break;
                    case "dnat": dnat.AddRange(Items(property.Value, "dnat").Select(DnatRuleOf)); break;
                    default: throw new FormatException($"unknown key '{property.Name}'");
                }
            }

            return options with { Snat = snat, Dnat = dnat };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new FormatException($"nat-gateway configuration: {e.Message}", e);
        }
    }

    private static SnatRule SnatRuleOf(JsonElement e)
    {
        ushort? vnet = null;
        IpAddress? eip = null;
        ushort first = 1024, last = 65535;
        foreach (var p in e.EnumerateObject())
        {
            switch (p.Name)
            {
                case "vnet": vnet = UShort(p.Value, "snat.vnet"); break;
                case "eip": eip = Address(p.Value, "snat.eip"); break;
                case "firstPort": first = UShort(p.Value, "snat.firstPort"); break;
                case "lastPort": last = UShort(p.Value, "snat.lastPort"); break;
                default: throw new FormatException($"unknown key 'snat.{p.Name}'");
            }
        }

        return new SnatRule(vnet ?? throw new FormatException("snat entry without 'vnet'"), eip ?? throw new FormatException("snat entry without 'eip'"), first, last);
    }

    private static DnatRule DnatRuleOf(JsonElement e)
    {
        IpAddress? eip = null;
        byte? protocol = null;
        ushort? port = null;
        ushort? backendVnet = null;
        var backends = new List<NatBackend>();
        foreach (var p in e.EnumerateObject())
        {
            switch (p.Name)
            {
                case "eip": eip = Address(p.Value, "dnat.eip"); break;
                case "protocol": protocol = Protocol(p.Value); break;
                case "port": port = UShort(p.Value, "dnat.port"); break;
                case "backendVnet": backendVnet = UShort(p.Value, "dnat.backendVnet"); break;
                case "backends": backends.AddRange(Items(p.Value, "dnat.backends").Select(Backend)); break;
                default: throw new FormatException($"unknown key 'dnat.{p.Name}'");
            }
        }

        return new DnatRule(eip ?? throw new FormatException("dnat entry without 'eip'"), protocol ?? throw new FormatException("dnat entry without 'protocol'"),
            port ?? throw new FormatException("dnat entry without 'port'"), backendVnet ?? throw new FormatException("dnat entry without 'backendVnet'"), backends);
    }

    private static NatBackend Backend(JsonElement e)
    {
        Expect(e, JsonValueKind.String, "a backend");
        string text = e.GetString()!;
        int colon = text.LastIndexOf(':');
        if (colon < 1 || !ushort.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out ushort port))
        {
            throw new FormatException($"backend '{text}' is not address:port");
        }

        return new NatBackend(ParseAddress(text[..colon]), port);
    }

    private static byte Protocol(JsonElement e) => e.ValueKind == JsonValueKind.Number
        ? e.GetByte()
        : e.GetString()?.ToUpperInvariant() switch
        {
            "TCP" => IpProtocols.Tcp,
            "UDP" => IpProtocols.Udp,
            var other => throw new FormatException($"protocol '{other}' is not tcp or udp"),
        };

    private static IEnumerable<JsonElement> Items(JsonElement e, string name)
    {
        Expect(e, JsonValueKind.Array, name);
        return e.EnumerateArray();
    }

    private static ushort UShort(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetUInt16(out ushort value) ? value : throw new FormatException($"'{name}' must be 0..65535");

    private static IpAddress Address(JsonElement e, string name)
    {
        Expect(e, JsonValueKind.String, name);
        return ParseAddress(e.GetString()!);
    }

    private static IpAddress ParseAddress(string text) =>
        System.Net.IPAddress.TryParse(text, out var address) ? IpAddress.From(address) : throw new FormatException($"'{text}' is not an IP address");

    private static void Expect(JsonElement e, JsonValueKind kind, string name)
    {
        if (e.ValueKind != kind)
        {
            throw new FormatException($"{name} must be a JSON {kind.ToString().ToLowerInvariant()}");
        }
    }
}
