using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Core.Tests.Engine;

/// <summary>
/// Model-based property test: random operation sequences on a <see cref="FlowTable"/> and on an independent
/// dictionary model of D3 (masking), D5 (pairs, implicit reverses, claims), D6 (aging, reclaim on full) must agree on
/// every status, every entry and every counter.
/// </summary>
public sealed class FlowTableModelTests
{
    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        for (int seed = 1; seed <= 56; seed++)
        {
            data.Add(seed);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Operations_RandomSequence_MatchDictionaryModel(int seed)
    {
        using var run = new ModelRun(seed);
        run.Execute(operations: 3000);
    }
}

/// <summary>What the model knows about one entry.</summary>
internal sealed class ModelEntry
{
    public FlowState State;
    public byte[] Vendor = [];
    public long LastSeen;
    public bool Aged;
    public bool Implicit;

    public ModelEntry Clone() => (ModelEntry)MemberwiseClone();
}

/// <summary>The ways <see cref="ModelMutator"/> changes a state.</summary>
internal enum MutationMode
{
    Replace,
    SetUnidirectional,
    BumpVersion,
    Refuse,
    Relink,
}

/// <summary>A mutator whose change the model can replay; it records the state the engine handed it.</summary>
internal struct ModelMutator : IFlowEntryMutator
{
    public MutationMode Mode;
    public FlowState NewState;
    public SaiStatus RefuseWith;
    public bool ReplaceVendor;
    public byte[] Vendor;
    public int Calls;
    public FlowState Seen;

    public SaiStatus Mutate(ref FlowState state)
    {
        Calls++;
        Seen = state;
        return Apply(Mode, in NewState, RefuseWith, ref state);
    }

    public readonly bool ReplacesVendorMetadata => ReplaceVendor;

    public readonly ReadOnlySpan<byte> VendorMetadata => Vendor;

    public static SaiStatus Apply(MutationMode mode, in FlowState newState, SaiStatus refuseWith, ref FlowState state)
    {
        switch (mode)
        {
            case MutationMode.Replace:
                state = newState;
                return SaiStatus.Success;
            case MutationMode.SetUnidirectional:
                state.IsUnidirectional = true;
                return SaiStatus.Success;
            case MutationMode.BumpVersion:
                state.Version++;
                state.MeterClass = newState.MeterClass;
                state.Actions = newState.Actions;
                return SaiStatus.Success;
            case MutationMode.Relink:
                state.IsUnidirectional = false;
                state.ReverseKey = newState.ReverseKey;
                return SaiStatus.Success;
            default:
                return refuseWith;
        }
    }
}

/// <summary>One seeded run: a table, the model, and the random operations applied to both.</summary>
internal sealed class ModelRun : IDisposable
{
    private static readonly int[] s_capacities = [8, 9, 12, 16, 24, 32, 64];

    private static readonly FlowEnabledKey[] s_masks =
    [
        FlowEnabledKey.All,
        FlowEnabledKey.All & ~FlowEnabledKey.Vni,
        FlowEnabledKey.SrcIp | FlowEnabledKey.DstIp | FlowEnabledKey.SrcPort | FlowEnabledKey.DstPort,
        FlowEnabledKey.SrcIp | FlowEnabledKey.DstIp,
        FlowEnabledKey.EniMac | FlowEnabledKey.Protocol | FlowEnabledKey.DstPort,
        FlowEnabledKey.SrcPort | FlowEnabledKey.DstPort,
        FlowEnabledKey.None,
        FlowEnabledKey.All,
    ];

    private static readonly uint[] s_ttls = [0, 5, 50, 1000];

    private static readonly MacAddress[] s_macs = [new(0x0200_0000_0001UL), new(0x0200_0000_0002UL)];
    private static readonly ushort[] s_vnets = [100, 200];
    private static readonly byte[] s_protocols = [6, 17];
    private static readonly ushort[] s_ports = [0, 53, 1000, 2000];

    private static readonly IpAddress[] s_v4 =
        [IpAddress.FromV4(0x0A00_0001), IpAddress.FromV4(0x0A00_0002), IpAddress.FromV4(0x0A00_0003)];

    private static readonly IpAddress[] s_v6 =
        [IpAddress.FromV6(0x2001_0DB8_0000_0000UL, 1), IpAddress.FromV6(0x2001_0DB8_0000_0000UL, 2)];

    private static readonly FlowRewrite[] s_rewrites =
    [
        new(new UnderlayEncap(7, IpAddress.FromV4(0x6400_0001), IpAddress.FromV4(0x6400_0002), new MacAddress(0x0A), new MacAddress(0x0B), DashEncapsulation.Vxlan), default, default),
        new(default, new UnderlayEncap(9, IpAddress.FromV4(0x6400_0003), IpAddress.FromV4(0x6400_0004), default, default, DashEncapsulation.Nvgre), default),
        new(default, default, new OverlayRewrite(new MacAddress(0x0C), IpAddress.FromV4(0x0101_0101), IpAddress.FromV4(0x0202_0202), IpAddress.FromV4(0xFFFF_FF00), IpAddress.FromV4(0xFFFF_FFFF))),
    ];

    private readonly int _seed;
    private readonly Random _rng;
    private readonly FlowClock _clock = FlowClock.Manual(1_000);
    private readonly FlowTable _table;
    private readonly FlowEnabledKey _enabled;
    private readonly int _capacity;
    private readonly FlowKey[] _pool;
    private readonly Dictionary<FlowKey, ModelEntry> _entries = [];
    private readonly Queue<string> _recent = new();
    private uint _ttl;
    private int _step;
    private long _created, _createFailed, _removed, _aged, _tableFull, _updated, _reclaimed;
    private int _claims, _implicitCreates, _reclaimRuns, _fullRefusals, _agingMarks, _pairRemoves;

    public ModelRun(int seed)
    {
        _seed = seed;
        _rng = new Random(seed);
        _capacity = s_capacities[seed % s_capacities.Length];
        _enabled = s_masks[seed / s_capacities.Length % s_masks.Length];
        _ttl = s_ttls[_rng.Next(s_ttls.Length)];
        _table = new FlowTable(new FlowTableOptions(_capacity, _enabled, _ttl, _clock));

        int poolSize = Math.Max(8, _capacity * 3 / 2);
        _pool = new FlowKey[poolSize];
        for (int i = 0; i < poolSize; i++)
        {
            _pool[i] = i > 0 && _rng.Next(3) == 0 ? _pool[_rng.Next(i)].Reversed() : RandomRawKey();
        }
    }

    private long Now => _clock.NowMs;

    public void Dispose() => _table.Dispose();

    public void Execute(int operations)
    {
        for (_step = 0; _step < operations; _step++)
        {
            int dice = _rng.Next(100);
            if (dice < 30)
            {
                OpCreate();
            }
            else if (dice < 41)
            {
                OpRemove();
            }
            else if (dice < 51)
            {
                OpUpdate();
            }
            else if (dice < 60)
            {
                OpGet();
            }
            else if (dice < 72)
            {
                OpLookup();
            }
            else if (dice < 78)
            {
                OpLookupBatch();
            }
            else if (dice < 89)
            {
                OpAdvance();
            }
            else if (dice < 99)
            {
                OpSweep();
            }
            else
            {
                OpSetTtl();
            }

            Expect(_entries.Count, _table.Count, "Count");
            Expect(_entries.Values.Count(e => e.Aged), _table.AgedCount, "AgedCount");
            if (_step % 250 == 249)
            {
                VerifyEverything();
            }
        }

        VerifyEverything();

        // The run must have exercised what it claims to test (deterministic per seed, so no flakiness).
        Assert.True(_created > 0, Context("nothing was created"));
        if (_enabled == FlowEnabledKey.All)
        {
            Assert.True(_implicitCreates > 0 && _pairRemoves > 0, Context($"no pairs exercised ({_implicitCreates}, {_pairRemoves})"));
            Assert.True(_fullRefusals + _reclaimRuns > 0, Context("the table never filled up"));
        }
    }

    // ---- operations ------------------------------------------------------------------------------------------------

    private void OpCreate()
    {
        FlowState state = RandomState();
        FlowKey key;
        if (_rng.Next(8) == 0 && TryPickImplicit(out var implicitKey, out var implicitEntry))
        {
            key = implicitKey; // an explicit create of an implicit reverse: a claim when it names the same forward
            state.IsUnidirectional = _rng.Next(6) == 0;
            state.ReverseKey = _rng.Next(5) == 0 ? PickPoolKey() : implicitEntry.State.ReverseKey;
        }
        else
        {
            key = PickKey();
            state.IsUnidirectional = _rng.Next(3) == 0;
            state.ReverseKey = RandomReverseFor(key);
        }

        byte[] vendor = RandomVendor();
        Note($"Create {key} uni={state.IsUnidirectional} rev={state.ReverseKey} vendor={vendor.Length}");
        var before = _table.Counters;
        SaiStatus actual = _table.Create(key, state, vendor);

        if (vendor.Length > VendorDataPool.MaxLength)
        {
            Expect(SaiStatus.InvalidParameter, actual, "Create with oversize vendor metadata");
            return;
        }

        FlowKey masked = Mask(key);
        FlowState stored = state;
        stored.ReverseKey = Mask(state.ReverseKey);
        if (_entries.TryGetValue(masked, out var existing))
        {
            if (existing.Implicit && !stored.IsUnidirectional && existing.State.ReverseKey == stored.ReverseKey)
            {
                Expect(SaiStatus.Success, actual, "Create claiming an implicit reverse");
                existing.State = stored;
                existing.Vendor = vendor;
                existing.LastSeen = Now;
                existing.Implicit = false;
                _claims++;
            }
            else
            {
                Expect(SaiStatus.ItemAlreadyExists, actual, "Create of an existing key");
                _createFailed++;
            }

            return;
        }

        bool reclaimed = false;
        while (true)
        {
            bool createsReverse = !stored.IsUnidirectional
                && !IsNoKey(stored.ReverseKey)
                && stored.ReverseKey != masked
                && !_entries.ContainsKey(stored.ReverseKey);
            int needed = createsReverse ? 2 : 1;
            if (_entries.Count + needed > _capacity)
            {
                if (!reclaimed && _entries.Values.Any(e => e.Aged))
                {
                    ApplyReclaim(_entries.Count + needed - _capacity, before);
                    reclaimed = true;
                    continue;
                }

                Expect(SaiStatus.TableFull, actual, $"Create into a full table (count {_entries.Count}, needed {needed})");
                _tableFull++;
                _createFailed++;
                _fullRefusals++;
                return;
            }

            Expect(SaiStatus.Success, actual, $"Create (needed {needed})");
            _entries[masked] = new ModelEntry { State = stored, Vendor = vendor, LastSeen = Now };
            if (createsReverse)
            {
                _entries[stored.ReverseKey] = new ModelEntry
                {
                    State = new FlowState
                    {
                        Version = stored.Version,
                        Direction = Opposite(stored.Direction),
                        ReverseKey = masked,
                        SyncState = stored.SyncState,
                    },
                    LastSeen = Now,
                    Implicit = true,
                };
                _implicitCreates++;
            }

            _created += needed;
            return;
        }
    }

    /// <summary>
    /// The engine chose which aged entries to reclaim; find out which model entries are gone (or were replaced, e.g. a
    /// reclaimed reverse that the create then made again) and check the choice against D6 and D5.
    /// </summary>
    private void ApplyReclaim(int required, FlowTableCounters before)
    {
        var gone = new HashSet<FlowKey>();
        foreach (var (key, entry) in _entries)
        {
            bool same = _table.Get(key, out var state, out var vendor) == SaiStatus.Success
                && state == entry.State
                && vendor.AsSpan().SequenceEqual(entry.Vendor)
                && _table.IsMarkedAged(key) == entry.Aged;
            if (!same)
            {
                gone.Add(key);
            }
        }

        foreach (var key in gone)
        {
            var entry = _entries[key];
            bool partnerOfReclaimedAged = TryGetPartner(key, out var partner) && gone.Contains(partner) && _entries[partner].Aged;
            Assert.True(entry.Aged || partnerOfReclaimedAged, Context($"reclaim removed {key}, which is neither aged nor the partner of a reclaimed aged entry"));
            if (entry.Aged && TryGetPartner(key, out var agedPartner))
            {
                Assert.True(gone.Contains(agedPartner), Context($"reclaim removed aged {key} but not its linked partner {agedPartner}"));
            }
        }

        bool agedLeft = _entries.Any(kv => kv.Value.Aged && !gone.Contains(kv.Key));
        Assert.True(gone.Count >= required || !agedLeft, Context($"reclaim freed {gone.Count} of {required} needed while aged entries remain"));
        var after = _table.Counters;
        Expect((long)gone.Count, after.Reclaimed - before.Reclaimed, "Reclaimed counter delta vs entries that disappeared");

        foreach (var key in gone)
        {
            _entries.Remove(key);
        }

        _removed += gone.Count;
        _reclaimed += gone.Count;
        _reclaimRuns++;
        Note($"  reclaimed {gone.Count} (required {required})");
    }

    private void OpRemove()
    {
        FlowKey key = _rng.Next(3) == 0 && _entries.Count > 0 ? PickExistingKey() : PickKey();
        Note($"Remove {key}");
        SaiStatus actual = _table.Remove(key);
        FlowKey masked = Mask(key);
        if (!_entries.ContainsKey(masked))
        {
            Expect(SaiStatus.ItemNotFound, actual, "Remove of a missing key");
            return;
        }

        Expect(SaiStatus.Success, actual, "Remove");
        if (TryGetPartner(masked, out var partner))
        {
            _entries.Remove(partner);
            _removed++;
            _pairRemoves++;
        }

        _entries.Remove(masked);
        _removed++;
    }

    private void OpUpdate()
    {
        FlowKey key = _rng.Next(2) == 0 && _entries.Count > 0 ? PickExistingKey() : PickKey();
        var newState = RandomState();
        newState.IsUnidirectional = _rng.Next(3) == 0;
        newState.ReverseKey = RandomReverseFor(key);
        int dice = _rng.Next(100);
        var mutator = new ModelMutator
        {
            Mode = dice switch
            {
                < 40 => MutationMode.Replace,
                < 60 => MutationMode.SetUnidirectional,
                < 75 => MutationMode.BumpVersion,
                < 85 => MutationMode.Refuse,
                _ => MutationMode.Relink,
            },
            NewState = newState,
            RefuseWith = SaiStatuses.InvalidAttrValue(_rng.Next(4)),
            ReplaceVendor = _rng.Next(5) < 2,
            Vendor = RandomVendor(),
        };
        Note($"Update {key} mode={mutator.Mode} vendor={(mutator.ReplaceVendor ? mutator.Vendor.Length : -1)}");
        SaiStatus actual = _table.Update(key, ref mutator);

        FlowKey masked = Mask(key);
        if (!_entries.TryGetValue(masked, out var entry))
        {
            Expect(SaiStatus.ItemNotFound, actual, "Update of a missing key");
            Expect(0, mutator.Calls, "mutator calls for a missing key");
            return;
        }

        Expect(1, mutator.Calls, "mutator calls");
        Expect(entry.State, mutator.Seen, "state handed to the mutator");
        FlowState state = entry.State;
        SaiStatus status = ModelMutator.Apply(mutator.Mode, in mutator.NewState, mutator.RefuseWith, ref state);
        if (status != SaiStatus.Success)
        {
            Expect(status, actual, "Update refused by the mutator");
            return;
        }

        if (mutator.ReplaceVendor && mutator.Vendor.Length > VendorDataPool.MaxLength)
        {
            Expect(SaiStatus.InvalidParameter, actual, "Update with oversize vendor metadata");
            return;
        }

        Expect(SaiStatus.Success, actual, "Update");
        state.ReverseKey = Mask(state.ReverseKey);
        entry.State = state;
        if (mutator.ReplaceVendor)
        {
            entry.Vendor = mutator.Vendor;
        }

        entry.Implicit = false;
        _updated++;
    }

    private void OpGet()
    {
        FlowKey key = PickKey();
        Note($"Get {key}");
        CheckGet(key);
    }

    private void OpLookup()
    {
        FlowKey key = _rng.Next(10) == 0 ? RandomRawKey() : PickKey();
        Note($"TryLookup {key}");
        bool found = _table.TryLookup(key, out var hit);
        bool expected = _entries.TryGetValue(Mask(key), out var entry);
        Expect(expected, found, "TryLookup result");
        Expect(expected, hit.Found, "FlowHit.Found");
        if (entry is not null)
        {
            CheckHit(hit, entry, key);
            entry.LastSeen = Now;
        }
    }

    private void OpLookupBatch()
    {
        int n = _rng.Next(1, 72);
        var keys = new FlowKey[n];
        for (int i = 0; i < n; i++)
        {
            keys[i] = _rng.Next(10) == 0 ? RandomRawKey() : PickKey();
        }

        Note($"LookupBatch of {n}");
        var hits = new FlowHit[n];
        int found = _table.LookupBatch(keys, hits);
        int expectedFound = 0;
        for (int i = 0; i < n; i++)
        {
            bool exists = _entries.TryGetValue(Mask(keys[i]), out var entry);
            Expect(exists, hits[i].Found, $"LookupBatch hit[{i}].Found for {keys[i]}");
            if (entry is not null)
            {
                expectedFound++;
                CheckHit(hits[i], entry, keys[i]);
                entry.LastSeen = Now;
            }
        }

        Expect(expectedFound, found, "LookupBatch found count");
    }

    private void OpAdvance()
    {
        long ms = _ttl == 0
            ? _rng.Next(0, 50)
            : _rng.Next(7) switch
            {
                0 => 0,
                1 => 1,
                2 => _ttl - 1,
                3 => _ttl,
                4 => _ttl + 1,
                5 => _ttl / 2,
                _ => _rng.Next(0, (int)Math.Min(3L * _ttl, int.MaxValue)),
            };
        Note($"Advance {ms}");
        _clock.Advance(ms);
    }

    private void OpSweep()
    {
        Note("SweepAgingFully");
        int actual = _table.SweepAgingFully();
        var toMark = new List<ModelEntry>();
        foreach (var (key, entry) in _entries)
        {
            if (entry.Aged || !IsIdle(entry))
            {
                continue;
            }

            if (TryGetPartner(key, out var partnerKey))
            {
                var partner = _entries[partnerKey];
                if (!partner.Aged && !IsIdle(partner))
                {
                    continue; // the other direction is active: the connection lives
                }
            }

            toMark.Add(entry);
        }

        foreach (var entry in toMark)
        {
            entry.Aged = true;
        }

        Expect(toMark.Count, actual, "SweepAgingFully marked");
        _aged += toMark.Count;
        _agingMarks += toMark.Count;
    }

    private void OpSetTtl()
    {
        _ttl = s_ttls[_rng.Next(s_ttls.Length)];
        Note($"TtlMs = {_ttl}");
        _table.TtlMs = _ttl;
    }

    // ---- checks ----------------------------------------------------------------------------------------------------

    private void CheckHit(in FlowHit hit, ModelEntry entry, in FlowKey key)
    {
        string what = $"hit for {key}";
        Expect(entry.State.Actions, hit.Actions, what + " Actions");
        Expect(entry.State.Direction, hit.Direction, what + " Direction");
        Expect(entry.State.SyncState, hit.SyncState, what + " SyncState");
        Expect(entry.State.IsUnidirectional, hit.IsUnidirectional, what + " IsUnidirectional");
        Expect(entry.Aged, hit.IsAged, what + " IsAged");
        Expect(true, _table.TryReadDetails(hit, out var details), what + " TryReadDetails");
        Expect(new FlowHitDetails(entry.State.Version, entry.State.MeterClass, entry.State.Rewrite), details, what + " details");
        Expect(true, _table.TryReadRewrite(hit, out var rewrite), what + " TryReadRewrite");
        Expect(entry.State.Rewrite, rewrite, what + " rewrite");
    }

    private void CheckGet(in FlowKey key)
    {
        SaiStatus status = _table.Get(key, out var state, out var vendor);
        if (!_entries.TryGetValue(Mask(key), out var entry))
        {
            Expect(SaiStatus.ItemNotFound, status, $"Get {key}");
            return;
        }

        Expect(SaiStatus.Success, status, $"Get {key}");
        Expect(entry.State, state, $"Get {key} state");
        Assert.True(vendor.AsSpan().SequenceEqual(entry.Vendor), Context($"Get {key}: vendor metadata {vendor.Length} bytes, expected {entry.Vendor.Length}"));
        Expect(entry.Aged, _table.IsMarkedAged(key), $"IsMarkedAged {key}");
    }

    private void VerifyEverything()
    {
        foreach (var key in _pool)
        {
            CheckGet(key);
        }

        foreach (var key in _entries.Keys.ToArray())
        {
            CheckGet(key);
        }

        // A full scan in random slices delivers exactly the model's entries, each once, with their complete state.
        var visitor = new CollectingVisitor { Seen = [] };
        var cursor = default(FlowScanCursor);
        int slices = 0;
        while (!cursor.IsComplete)
        {
            _table.Scan(ref cursor, _rng.Next(1, 12), ref visitor);
            Assert.True(++slices < 100_000, Context("scan never completes"));
        }

        var seen = new HashSet<FlowKey>();
        foreach (var (view, state, vendor) in visitor.Seen)
        {
            Assert.True(seen.Add(view.Key), Context($"scan delivered {view.Key} twice"));
            Assert.True(_entries.TryGetValue(view.Key, out var entry), Context($"scan delivered unknown {view.Key}"));
            Expect(entry!.State, state, $"scan state of {view.Key}");
            Assert.True(vendor.AsSpan().SequenceEqual(entry.Vendor), Context($"scan vendor metadata of {view.Key}"));
            Expect(entry.State.Version, view.Version, "view Version");
            Expect(entry.State.Actions, view.Actions, "view Actions");
            Expect(entry.State.Direction, view.Direction, "view Direction");
            Expect(entry.State.SyncState, view.SyncState, "view SyncState");
            Expect(entry.State.IsUnidirectional, view.IsUnidirectional, "view IsUnidirectional");
            Expect(entry.Aged || IsIdle(entry), view.IsAged, $"view IsAged of {view.Key}");
        }

        Expect(_entries.Count, seen.Count, "entries delivered by a full scan");
        Expect(new FlowTableCounters(_created, _createFailed, _removed, _aged, _tableFull, _updated, _reclaimed), _table.Counters, "counters");
    }

    // ---- model rules -----------------------------------------------------------------------------------------------

    /// <summary>D3, written independently of the engine: disabled fields become zero, the address family stays.</summary>
    private FlowKey Mask(in FlowKey key)
    {
        IpAddress zero = key.IsV6 ? IpAddress.AnyV6 : IpAddress.AnyV4;
        return new FlowKey(
            Has(FlowEnabledKey.EniMac) ? key.EniMac : MacAddress.Zero,
            Has(FlowEnabledKey.Vni) ? key.VnetId : (ushort)0,
            Has(FlowEnabledKey.Protocol) ? key.IpProtocol : (byte)0,
            Has(FlowEnabledKey.SrcIp) ? key.SrcIp : zero,
            Has(FlowEnabledKey.DstIp) ? key.DstIp : zero,
            Has(FlowEnabledKey.SrcPort) ? key.SrcPort : (ushort)0,
            Has(FlowEnabledKey.DstPort) ? key.DstPort : (ushort)0);
    }

    private bool Has(FlowEnabledKey field) => (_enabled & field) != 0;

    private static bool IsNoKey(in FlowKey key) => key == default;

    /// <summary>D5: two distinct entries are linked when both are bidirectional and each names the other.</summary>
    private bool TryGetPartner(in FlowKey key, out FlowKey partner)
    {
        partner = default;
        var entry = _entries[key];
        if (entry.State.IsUnidirectional || entry.State.ReverseKey == key
            || !_entries.TryGetValue(entry.State.ReverseKey, out var other)
            || other.State.IsUnidirectional || other.State.ReverseKey != key)
        {
            return false;
        }

        partner = entry.State.ReverseKey;
        return true;
    }

    private bool IsIdle(ModelEntry entry) => _ttl != 0 && Now - entry.LastSeen >= _ttl;

    private static FlowDirection Opposite(FlowDirection direction) => direction switch
    {
        FlowDirection.Outbound => FlowDirection.Inbound,
        FlowDirection.Inbound => FlowDirection.Outbound,
        _ => direction,
    };

    // ---- generators ------------------------------------------------------------------------------------------------

    private FlowKey RandomRawKey()
    {
        bool v6 = _rng.Next(6) == 0;
        IpAddress[] addresses = v6 ? s_v6 : s_v4;
        return new FlowKey(
            s_macs[_rng.Next(s_macs.Length)],
            s_vnets[_rng.Next(s_vnets.Length)],
            s_protocols[_rng.Next(s_protocols.Length)],
            addresses[_rng.Next(addresses.Length)],
            addresses[_rng.Next(addresses.Length)],
            s_ports[_rng.Next(s_ports.Length)],
            s_ports[_rng.Next(s_ports.Length)]);
    }

    private FlowKey PickPoolKey() => _pool[_rng.Next(_pool.Length)];

    private FlowKey PickKey() => _rng.Next(20) == 0 ? RandomRawKey() : PickPoolKey();

    private FlowKey PickExistingKey() => _entries.Keys.ElementAt(_rng.Next(_entries.Count));

    private bool TryPickImplicit(out FlowKey key, out ModelEntry entry)
    {
        var candidates = _entries.Where(kv => kv.Value.Implicit).ToArray();
        if (candidates.Length == 0)
        {
            (key, entry) = (default, null!);
            return false;
        }

        (key, entry) = candidates[_rng.Next(candidates.Length)];
        return true;
    }

    private FlowKey RandomReverseFor(in FlowKey key) => _rng.Next(100) switch
    {
        < 15 => default,
        < 50 => key.Reversed(),
        < 75 => PickPoolKey(),
        < 85 => key,
        _ => _entries.Count > 0 ? PickExistingKey() : key.Reversed(),
    };

    private FlowState RandomState() => new()
    {
        Version = (uint)_rng.Next() ^ ((uint)_rng.Next(4) << 31),
        Direction = (FlowDirection)_rng.Next(3),
        Actions = (FlowAction)_rng.Next(0x400),
        MeterClass = (uint)_rng.Next(),
        Rewrite = _rng.Next(2) == 0 ? default : s_rewrites[_rng.Next(s_rewrites.Length)],
        SyncState = (FlowSyncState)_rng.Next(5),
    };

    private byte[] RandomVendor()
    {
        int length = _rng.Next(100) switch
        {
            < 40 => 0,
            < 80 => _rng.Next(1, 33),
            < 92 => _rng.Next(33, 600),
            < 95 => VendorDataPool.MaxLength,
            < 98 => VendorDataPool.MaxLength + 1,
            _ => _rng.Next(2000, VendorDataPool.MaxLength),
        };
        var bytes = new byte[length];
        _rng.NextBytes(bytes);
        return bytes;
    }

    // ---- diagnostics -----------------------------------------------------------------------------------------------

    private void Note(string operation)
    {
        _recent.Enqueue($"#{_step} t={Now}: {operation}");
        if (_recent.Count > 25)
        {
            _recent.Dequeue();
        }
    }

    private string Context(string what) =>
        $"seed {_seed} (capacity {_capacity}, enabled {_enabled}, ttl {_ttl}) step {_step}: {what}\nRecent operations:\n  {string.Join("\n  ", _recent)}";

    private void Expect<T>(T expected, T actual, string what)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
        {
            Assert.Fail(Context($"{what}: expected {expected}, actual {actual}"));
        }
    }

    private struct CollectingVisitor : IFlowScanVisitor
    {
        public List<(FlowEntryView View, FlowState State, byte[] Vendor)> Seen;

        public readonly bool NeedsState => true;

        public readonly bool Accept(in FlowEntryView view) => true;

        public readonly bool Visit(in FlowEntryView view, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
        {
            Seen.Add((view, state, vendorMetadata.ToArray()));
            return true;
        }
    }
}
