using DashFlow.Model;
using DashFlow.Records;
using Google.Protobuf;
using Proto = DashFlow.Protos;

namespace DashFlow.Core.Tests.Records;

/// <summary>The allocation-free reader answers exactly as the generated parser plus validation, on valid and damaged bytes.</summary>
public sealed class FlowRecordReaderTests
{
    private static void AssertSameAsParser(byte[] bytes, bool expectFastPath)
    {
        var slow = FlowRecordCodec.TryDecodeWithParser(bytes, out var slowKey, out var slowState, out var slowVendor);
        var fast = FlowRecordReader.TryRead(bytes, out var key, out var state, out var vendor);
        if (FlowRecordReader.TryReadCanonical(bytes, out var canonicalKey, out var canonicalState, out var canonicalVendor))
        {
            // The one-pass reader only ever answers SUCCESS, and with the parser's values.
            Assert.Equal(SaiStatus.Success, slow);
            Assert.Equal(slowKey, canonicalKey);
            Assert.Equal(slowState, canonicalState);
            Assert.Equal(slowVendor, canonicalVendor);
        }

        if (expectFastPath)
        {
            Assert.NotNull(fast);
        }

        if (fast is null)
        {
            return;
        }

        Assert.Equal(slow, fast.Value);
        if (slow == SaiStatus.Success)
        {
            Assert.Equal(slowKey, key);
            Assert.Equal(slowState, state);
            Assert.Equal(slowVendor, vendor);
        }

        Assert.Equal(slow, FlowRecordCodec.TryDecode(bytes, out _, out _, out _));
    }

    private static byte[] RandomRecord(Random random)
    {
        bool v6 = random.Next(2) == 0;
        var key = RandomFlows.Key(random, v6);
        var state = random.Next(3) == 0 ? new FlowState { Version = (uint)random.Next(10) } : RandomFlows.State(random, v6);
        return FlowRecordCodec.Encode(in key, in state, RandomFlows.Vendor(random));
    }

    [Fact]
    public void CanonicalRecords_FastPathAgrees()
    {
        var random = new Random(11);
        for (int n = 0; n < 2000; n++)
        {
            AssertSameAsParser(RandomRecord(random), expectFastPath: true);
        }
    }

    [Fact]
    public void WrittenRecords_OnePassReaderTakesEveryValidOne()
    {
        var random = new Random(15);
        for (int n = 0; n < 2000; n++)
        {
            bool v6 = random.Next(2) == 0;
            var key = RandomFlows.Key(random, v6);
            var state = random.Next(3) == 0 ? new FlowState { Version = (uint)random.Next(10) } : RandomFlows.State(random, v6);
            byte[] vendor = RandomFlows.Vendor(random);
            var written = new FlowRecordBatch();
            written.Add(in key, in state, vendor);
            byte[] fromWriter = written.Packed.Span[(written.Packed.Length > 129 ? 2 : 1)..].ToArray(); // past the length prefix
            byte[] fromCodec = FlowRecordCodec.Encode(in key, in state, vendor);
            Assert.Equal(fromCodec, fromWriter);
            bool valid = FlowRecordCodec.TryDecodeWithParser(fromCodec, out _, out _, out _) == SaiStatus.Success;
            Assert.Equal(valid, FlowRecordReader.TryReadCanonical(fromCodec, out _, out _, out _));
            AssertSameAsParser(fromCodec, expectFastPath: true);
        }
    }

    [Fact]
    public void ConcatenatedRecords_MergeLikeTheParser()
    {
        var random = new Random(12);
        for (int n = 0; n < 1000; n++)
        {
            AssertSameAsParser([.. RandomRecord(random), .. RandomRecord(random)], expectFastPath: true);
        }
    }

    [Fact]
    public void EditedMessages_OutOfRangeValuesAndOverlongVarints_SameAnswer()
    {
        var random = new Random(13);
        for (int n = 0; n < 1000; n++)
        {
            var message = Proto.SaiDashFlowEntry.Parser.ParseFrom(RandomRecord(random));
            switch (random.Next(6))
            {
                case 0: message.FlowKey.VnetId = (uint)random.Next(65530, 65540); break;
                case 1: message.FlowState.DashDirection = (uint)random.Next(4); break;
                case 2: message.FlowState.Sip = new Proto.IpAddress { Type = (uint)random.Next(12), Address = ByteString.CopyFrom(new byte[random.Next(18)]) }; break;
                case 3: message.FlowState.DstMac = new Proto.MacAddress { Address = ByteString.CopyFrom(new byte[random.Next(8)]) }; break;
                case 4: message.ReverseFlowKey = null; break;
                default: message.FlowState.SipMask = ByteString.CopyFrom(new byte[random.Next(18)]); break;
            }

            AssertSameAsParser(message.ToByteArray(), expectFastPath: true);
        }

        // A uint32 written as a ten-byte varint keeps its low 32 bits, in both readers.
        byte[] overlong = [0x0A, 0x13, 0x0A, 0x06, 1, 2, 3, 4, 5, 6, 0x10, 0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
        AssertSameAsParser(overlong, expectFastPath: true);
        Assert.Equal(SaiStatus.Success, FlowRecordCodec.TryDecode(overlong, out var key, out _, out _));
        Assert.Equal(5, key.VnetId);
    }

    [Fact]
    public void DamagedBytes_SameAnswerOrSlowPath()
    {
        var random = new Random(14);
        for (int n = 0; n < 5000; n++)
        {
            byte[] bytes = RandomRecord(random);
            switch (random.Next(4))
            {
                case 0:
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes = bytes[..random.Next(bytes.Length)];
                    break;
                case 2:
                    bytes = [.. bytes, .. new byte[] { (byte)((random.Next(1, 40) << 3) | random.Next(6)), (byte)random.Next(256), (byte)random.Next(256) }];
                    break;
                default:
                    random.NextBytes(bytes.AsSpan(random.Next(bytes.Length)));
                    break;
            }

            AssertSameAsParser(bytes, expectFastPath: false);
        }
    }
}
