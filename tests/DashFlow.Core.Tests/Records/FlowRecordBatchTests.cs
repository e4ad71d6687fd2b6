using DashFlow.Model;
using DashFlow.Records;

namespace DashFlow.Core.Tests.Records;

/// <summary>Packed record batches: what goes in comes out, in order, and broken framing is refused, never thrown.</summary>
public sealed class FlowRecordBatchTests
{
    private struct Collector : IFlowRecordVisitor
    {
        public List<(FlowKey Key, FlowState State, byte[] Vendor)> Records;

        public void Visit(in FlowKey key, in FlowState state, byte[] vendorMetadata) => Records.Add((key, state, vendorMetadata));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void AddThenForEach_RandomRecords_RoundTripInOrder(int seed)
    {
        var random = new Random(seed);
        var batch = new FlowRecordBatch(1024); // small, so the buffer grows along the way
        var expected = new List<(FlowKey, FlowState, byte[])>();
        for (int i = 0; i < 500; i++)
        {
            bool v6 = random.Next(2) == 0;
            var entry = (RandomFlows.Key(random, v6), RandomFlows.State(random, v6), RandomFlows.Vendor(random));
            expected.Add(entry);
            batch.Add(in entry.Item1, in entry.Item2, entry.Item3);
        }

        var received = FlowRecordBatch.FromPacked(batch.Packed.ToArray(), batch.Count);
        var collector = new Collector { Records = [] };

        Assert.Equal(SaiStatus.Success, received.ForEach(ref collector));
        Assert.Equal(500, received.Count);
        Assert.Equal(expected.Count, collector.Records.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Item1, collector.Records[i].Key);
            Assert.Equal(expected[i].Item2, collector.Records[i].State);
            Assert.Equal(expected[i].Item3, collector.Records[i].Vendor);
        }

        Assert.Equal(500, received.ToMessages().Count);
    }

    [Fact]
    public void FromMessages_SameBytesAsAdd()
    {
        var random = new Random(7);
        var key = RandomFlows.Key(random, false);
        var state = RandomFlows.State(random, false);
        var packed = new FlowRecordBatch();
        packed.Add(in key, in state, [1, 2, 3]);

        var fromMessages = FlowRecordBatch.FromMessages([FlowRecordCodec.ToMessage(in key, in state, [1, 2, 3])]);

        Assert.Equal(packed.Packed.ToArray(), fromMessages.Packed.ToArray());
    }

    [Fact]
    public void ForEach_TruncatedOrDamagedFraming_InvalidParameterAfterTheGoodRecords()
    {
        var random = new Random(11);
        var batch = new FlowRecordBatch();
        for (int i = 0; i < 3; i++)
        {
            var key = RandomFlows.Key(random, true);
            var state = RandomFlows.State(random, true);
            batch.Add(in key, in state, []);
        }

        byte[] bytes = batch.Packed.ToArray();
        var truncated = FlowRecordBatch.FromPacked(bytes.AsMemory(0, bytes.Length - 5), 3);
        var endless = FlowRecordBatch.FromPacked(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, 1);
        var collector = new Collector { Records = [] };

        Assert.Equal(SaiStatus.InvalidParameter, truncated.ForEach(ref collector));
        Assert.Equal(2, collector.Records.Count);
        Assert.Equal(SaiStatus.InvalidParameter, endless.ForEach(ref collector));
        Assert.Throws<InvalidOperationException>(() => truncated.Add(default(FlowKey), default(FlowState), []));
    }
}
