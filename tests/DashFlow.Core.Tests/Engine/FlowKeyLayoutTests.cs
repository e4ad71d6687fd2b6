using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DashFlow.Model;

namespace DashFlow.Core.Tests.Engine;

/// <summary>The 48-byte key layout the engine and the peers share: each field at its offset, in its byte order.</summary>
public sealed class FlowKeyLayoutTests
{
    private static byte[] BytesOf(FlowKey key) => MemoryMarshal.AsBytes(new ReadOnlySpan<FlowKey>(in key)).ToArray();

    private static byte[] Expected(params (int Offset, byte Value)[] bytes)
    {
        var expected = new byte[48];
        foreach (var (offset, value) in bytes)
        {
            expected[offset] = value;
        }

        return expected;
    }

    [Fact]
    public void FlowKey_Size_Is48Bytes()
    {
        Assert.Equal(48, FlowKey.Size);
        Assert.Equal(48, Unsafe.SizeOf<FlowKey>());
    }

    [Fact]
    public void VnetId_Set_WritesBytes6And7LittleEndian()
    {
        var key = default(FlowKey);
        key.VnetId = 0x1234;
        Assert.Equal(Expected((6, 0x34), (7, 0x12)), BytesOf(key));
        Assert.Equal(0x1234, key.VnetId);
    }

    [Fact]
    public void EniMac_Set_WritesBytes0To5InWireOrder()
    {
        var key = default(FlowKey);
        key.EniMac = MacAddress.Parse("02:11:22:33:44:55");
        Assert.Equal(Expected((0, 0x02), (1, 0x11), (2, 0x22), (3, 0x33), (4, 0x44), (5, 0x55)), BytesOf(key));
    }

    [Fact]
    public void Ports_Set_WriteBytes40To43LittleEndian()
    {
        var key = default(FlowKey);
        key.SrcPort = 0xABCD;
        key.DstPort = 0x0102;
        Assert.Equal(Expected((40, 0xCD), (41, 0xAB), (42, 0x02), (43, 0x01)), BytesOf(key));
    }

    [Fact]
    public void IpProtocol_Set_WritesByte44()
    {
        var key = default(FlowKey);
        key.IpProtocol = 17;
        Assert.Equal(Expected((44, 17)), BytesOf(key));
    }

    [Fact]
    public void SetAddresses_Ipv4_WritesLastFourAddressBytesInNetworkOrder()
    {
        var key = default(FlowKey);
        key.SetAddresses(IpAddress.Parse("10.1.2.3"), IpAddress.Parse("192.168.4.5"));
        Assert.Equal(Expected((20, 10), (21, 1), (22, 2), (23, 3), (36, 192), (37, 168), (38, 4), (39, 5)), BytesOf(key));
        Assert.False(key.IsV6);
        Assert.True(key.HasConsistentFamily);
    }

    [Fact]
    public void SetAddresses_Ipv6_WritesBytes8To39AndFamilyByte45()
    {
        var key = default(FlowKey);
        key.SetAddresses(IpAddress.Parse("2001:db8::1"), IpAddress.Parse("fe80::2"));
        byte[] bytes = BytesOf(key);
        Assert.Equal(IpAddress.Parse("2001:db8::1").ToBytes(), bytes[8..24]);
        Assert.Equal(IpAddress.Parse("fe80::2").ToBytes(), bytes[24..40]);
        Assert.Equal(1, bytes[45]);
        Assert.True(key.IsV6);
        Assert.Equal(IpAddress.Parse("fe80::2"), key.DstIp);
    }

    [Fact]
    public void Masked_NoFieldEnabled_ZeroesEverythingButTheFamily()
    {
        var key = new FlowKey(new MacAddress(0x0200_0000_0001UL), 7, 6, IpAddress.Parse("2001:db8::1"), IpAddress.Parse("2001:db8::2"), 1000, 80);
        var masked = key.Masked(FlowEnabledKey.None);
        Assert.Equal(Expected((45, 1)), BytesOf(masked));
    }

    [Fact]
    public void Masked_PartialMask_KeepsOnlyEnabledFields()
    {
        var key = new FlowKey(new MacAddress(0x0200_0000_0001UL), 7, 6, IpAddress.Parse("10.0.0.1"), IpAddress.Parse("10.0.0.2"), 1000, 80);
        var masked = key.Masked(FlowEnabledKey.DstIp | FlowEnabledKey.DstPort);
        var expected = new FlowKey(MacAddress.Zero, 0, 0, IpAddress.AnyV4, IpAddress.Parse("10.0.0.2"), 0, 80);
        Assert.Equal(BytesOf(expected), BytesOf(masked));
        Assert.Equal(key, key.Masked(FlowEnabledKey.All));
    }

    [Fact]
    public void Reversed_Key_SwapsAddressesAndPorts()
    {
        var key = new FlowKey(new MacAddress(0x0200_0000_0001UL), 7, 6, IpAddress.Parse("10.0.0.1"), IpAddress.Parse("10.0.0.2"), 1000, 80);
        var reversed = key.Reversed();
        Assert.Equal(new FlowKey(key.EniMac, 7, 6, key.DstIp, key.SrcIp, 80, 1000), reversed);
        Assert.Equal(key, reversed.Reversed());
    }
}
