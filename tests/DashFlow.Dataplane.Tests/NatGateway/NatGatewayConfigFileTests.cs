using DashFlow.Api;
using DashFlow.Dataplane.Apps.NatGateway;
using DashFlow.Model;

namespace DashFlow.Dataplane.Tests.NatGateway;

/// <summary>The JSON configuration the replay command and the agent read.</summary>
public sealed class NatGatewayConfigFileTests
{
    private static readonly FlowTableId Table = new(42);

    [Fact]
    public void Parse_TheDocumentedExample_GivesTheRules()
    {
        const string json = """
            { "outsideVnet": 7, "agingTickMs": 500,
              "snat": [ { "vnet": 101, "eip": "203.0.113.1", "firstPort": 2000, "lastPort": 3000 }, { "vnet": 102, "eip": "203.0.113.1", "firstPort": 2000, "lastPort": 3000 } ],
              "dnat": [ { "eip": "203.0.113.100", "protocol": "tcp", "port": 443, "backendVnet": 200, "backends": [ "10.200.0.1:8443", "10.200.0.2:8443" ] },
                        { "eip": "203.0.113.100", "protocol": 17, "port": 53, "backendVnet": 200, "backends": [] } ] }
            """;

        var options = NatGatewayConfigFile.Parse(json, Table);

        Assert.Equal(Table, options.Table);
        Assert.Equal(7, options.OutsideVnetId);
        Assert.Equal(500, options.AgingTickMs);
        Assert.Equal([new SnatRule(101, IpAddress.Parse("203.0.113.1"), 2000, 3000), new SnatRule(102, IpAddress.Parse("203.0.113.1"), 2000, 3000)], options.Snat);
        Assert.Equal(2, options.Dnat.Count);
        Assert.Equal(6, options.Dnat[0].Protocol);
        Assert.Equal([new NatBackend(IpAddress.Parse("10.200.0.1"), 8443), new NatBackend(IpAddress.Parse("10.200.0.2"), 8443)], options.Dnat[0].Backends);
        Assert.Equal(17, options.Dnat[1].Protocol);
        Assert.Empty(options.Dnat[1].Backends);
    }

    [Theory]
    [InlineData("""{ "snat": [ { "vnet": 101 } ] }""", "without 'eip'")]
    [InlineData("""{ "snat": [ { "vnet": 70000, "eip": "203.0.113.1" } ] }""", "0..65535")]
    [InlineData("""{ "snat": [ { "vnet": 1, "eip": "not-an-ip" } ] }""", "not an IP address")]
    [InlineData("""{ "dnat": [ { "eip": "203.0.113.1", "protocol": "sctp", "port": 1, "backendVnet": 2 } ] }""", "not tcp or udp")]
    [InlineData("""{ "dnat": [ { "eip": "203.0.113.1", "protocol": "tcp", "port": 1, "backendVnet": 2, "backends": [ "10.0.0.1" ] } ] }""", "address:port")]
    [InlineData("""{ "snatt": [] }""", "unknown key 'snatt'")]
    [InlineData("""{ "snat": [ """, "nat-gateway configuration")]
    public void Parse_BadInput_ThrowsFormatExceptionNamingTheProblem(string json, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => NatGatewayConfigFile.Parse(json, Table));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
