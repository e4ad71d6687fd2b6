using BenchmarkDotNet.Attributes;
using DashFlow.Bench;
using DashFlow.Bench.Engine;
using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Benchmarks;

/// <summary>Batched lookups of 32 keys with prefetching against 32 single lookups: the gain is memory-level parallelism.</summary>
[MemoryDiagnoser]
public class BatchLookupBenchmarks
{
    private const int Flows = 1_000_000;
    private const int Batch = 32;
    private readonly FlowKey[] _batch = new FlowKey[Batch];
    private readonly FlowHit[] _hits = new FlowHit[Batch];
    private FlowTable? _table;
    private FlowKey[] _keys = [];
    private int[] _order = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _keys = BenchKeys.Make(Flows, out _order);
        var templates = OutboundFlowStates.MakeTemplates();
        _table = new FlowTable(new FlowTableOptions(Flows, FlowEnabledKey.All, 0, FlowClock.Manual()));
        for (int i = 0; i < _keys.Length; i++)
        {
            ref var state = ref templates[i & (OutboundFlowStates.Destinations - 1)];
            state.ReverseKey = _keys[i].Reversed();
            _table.Create(in _keys[i], in state);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _table?.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public int Single32()
    {
        Fill();
        int found = 0;
        for (int i = 0; i < Batch; i++)
        {
            found += _table!.TryLookup(in _batch[i], out _) ? 1 : 0;
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int Batched32()
    {
        Fill();
        return _table!.LookupBatch(_batch, _hits);
    }

    private void Fill()
    {
        for (int i = 0; i < Batch; i++)
        {
            _batch[i] = _keys[_order[_next]];
            _next = _next + 1 == Flows ? 0 : _next + 1;
        }
    }
}
