using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using DashFlow.Bench;
using DashFlow.Bench.Engine;
using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Benchmarks;

/// <summary>
/// One flow store under single operations on a loaded table (the peers' key set): lookup of a present key, lookup of an
/// absent key, and a remove followed by a re-insert. One subclass per store, with ConcurrentDictionary as the baseline.
/// </summary>
[MemoryDiagnoser]
public abstract class FlowStoreBenchmarks
{
    protected const int Flows = 1_000_000;
    private FlowKey[] _keys = [];
    private FlowKey[] _absent = [];
    private int[] _order = [];
    private int _next;

    protected FlowState[] Templates { get; } = OutboundFlowStates.MakeTemplates();

    [GlobalSetup]
    public void Setup()
    {
        var all = BenchKeys.Make(Flows * 2, out _);
        _keys = all[..Flows];
        _absent = all[Flows..];
        _ = BenchKeys.Make(Flows, out _order);
        Load(_keys);
    }

    [GlobalCleanup]
    public void Cleanup() => Unload();

    [Benchmark]
    public bool LookupHit() => Lookup(in _keys[_order[Next()]]);

    [Benchmark]
    public bool LookupMiss() => Lookup(in _absent[_order[Next()]]);

    [Benchmark]
    public bool RemoveAndInsert()
    {
        int i = _order[Next()];
        return Remove(in _keys[i]) && Insert(in _keys[i], i);
    }

    protected abstract void Load(FlowKey[] keys);

    protected abstract void Unload();

    protected abstract bool Lookup(in FlowKey key);

    protected abstract bool Remove(in FlowKey key);

    protected abstract bool Insert(in FlowKey key, int index);

    private int Next() => _next = _next + 1 == Flows ? 0 : _next + 1;
}

/// <summary>DashFlow's engine with complete outbound flow state.</summary>
public class FlowTableBenchmarks : FlowStoreBenchmarks
{
    private FlowTable? _table;

    protected override void Load(FlowKey[] keys)
    {
        _table = new FlowTable(new FlowTableOptions(Flows, FlowEnabledKey.All, 0, FlowClock.Manual()));
        for (int i = 0; i < keys.Length; i++)
        {
            Insert(in keys[i], i);
        }
    }

    protected override void Unload() => _table?.Dispose();

    protected override bool Lookup(in FlowKey key) => _table!.TryLookup(in key, out _);

    protected override bool Remove(in FlowKey key) => _table!.Remove(in key) == SaiStatus.Success;

    protected override bool Insert(in FlowKey key, int index)
    {
        ref var state = ref Templates[index & (OutboundFlowStates.Destinations - 1)];
        state.ReverseKey = key.Reversed();
        return _table!.Create(in key, in state) == SaiStatus.Success;
    }
}

/// <summary>The baseline: <c>ConcurrentDictionary&lt;FlowKey, FlowState&gt;</c>, one node object per flow.</summary>
public class ConcurrentDictionaryBenchmarks : FlowStoreBenchmarks
{
    private ConcurrentDictionary<FlowKey, FlowState> _map = new();

    protected override void Load(FlowKey[] keys)
    {
        _map = new ConcurrentDictionary<FlowKey, FlowState>(concurrencyLevel: 1, capacity: Flows);
        for (int i = 0; i < keys.Length; i++)
        {
            Insert(in keys[i], i);
        }
    }

    protected override void Unload() => _map.Clear();

    protected override bool Lookup(in FlowKey key) => _map.TryGetValue(key, out _);

    protected override bool Remove(in FlowKey key) => _map.TryRemove(key, out _);

    protected override bool Insert(in FlowKey key, int index)
    {
        var state = Templates[index & (OutboundFlowStates.Destinations - 1)];
        state.ReverseKey = key.Reversed();
        return _map.TryAdd(key, state);
    }
}
