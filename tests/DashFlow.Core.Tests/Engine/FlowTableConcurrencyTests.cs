using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Core.Tests.Engine;

/// <summary>
/// Stress with real threads: lock-free lookups (single and batched) and scans run against two writers. Every entry's
/// state is derived from its key and a 10-bit generation, so any torn copy (fields of two writes, or of two keys sharing
/// a reused record) shows up as an inconsistency.
/// </summary>
public sealed class FlowTableConcurrencyTests
{
    private const int StableCount = 1024;
    private const int WriterRange = 2048;
    private const int StableSpace = 0;
    private const int MaxWriterOps = 400_000;
    private const int MaxLookupOps = 20_000_000;
    private const int MaxScans = 5_000;
    private static readonly TimeSpan s_duration = TimeSpan.FromSeconds(2.5);

    [Fact]
    public void LookupsScansAndWriters_Concurrent_NeverTornAndFinalStateMatchesWriters()
    {
        using var table = new FlowTable(new FlowTableOptions(8192, BiasWriterLock: true)); // the loader biases the lock; the writers revoke it
        var failures = new ConcurrentQueue<string>();
        for (int i = 0; i < StableCount; i++)
        {
            var key = Key(StableSpace, i);
            Assert.Equal(SaiStatus.Success, table.Create(key, Encode(key, (ushort)(i % 1024)), Vendor(key, (ushort)(i % 1024))));
        }

        var writers = new[] { new Writer(table, space: 1, seed: 11, failures), new Writer(table, space: 2, seed: 22, failures) };
        var stopReaders = new CancellationTokenSource();
        long stableHits = 0, batchStableHits = 0, completeScans = 0, writerKeyHits = 0;

        var threads = new List<Thread>
        {
            Start("writer-1", failures, writers[0].Run),
            Start("writer-2", failures, writers[1].Run),
            Start("lookup", failures, () =>
            {
                var rng = new Random(33);
                for (int n = 0; n < MaxLookupOps && !stopReaders.IsCancellationRequested; n++)
                {
                    int space = rng.Next(3);
                    var key = Key(space, rng.Next(space == StableSpace ? StableCount : WriterRange));
                    bool found = table.TryLookup(key, out var hit);
                    if (space == StableSpace && !found)
                    {
                        failures.Enqueue($"TryLookup missed stable {key}");
                    }

                    if (found)
                    {
                        CheckHit(table, key, hit, failures, "TryLookup");
                        if (space == StableSpace)
                        {
                            stableHits++;
                        }
                        else
                        {
                            writerKeyHits++;
                        }
                    }
                }
            }),
            Start("batch", failures, () =>
            {
                var rng = new Random(44);
                var keys = new FlowKey[64];
                var hits = new FlowHit[64];
                for (int n = 0; n < MaxLookupOps / 64 && !stopReaders.IsCancellationRequested; n++)
                {
                    int stable = 0;
                    for (int i = 0; i < keys.Length; i++)
                    {
                        int space = rng.Next(3);
                        keys[i] = Key(space, rng.Next(space == StableSpace ? StableCount : WriterRange));
                        stable += space == StableSpace ? 1 : 0;
                    }

                    int found = table.LookupBatch(keys, hits);
                    int counted = 0;
                    for (int i = 0; i < keys.Length; i++)
                    {
                        bool isStable = keys[i].VnetId == StableSpace + 1;
                        if (isStable && !hits[i].Found)
                        {
                            failures.Enqueue($"LookupBatch missed stable {keys[i]}");
                        }

                        if (hits[i].Found)
                        {
                            counted++;
                            CheckHit(table, keys[i], hits[i], failures, "LookupBatch");
                            batchStableHits += isStable ? 1 : 0;
                        }
                    }

                    if (counted != found)
                    {
                        failures.Enqueue($"LookupBatch returned {found} but {counted} hits are Found");
                    }
                }
            }),
            Start("scanner", failures, () =>
            {
                var rng = new Random(55);
                var stableSeen = new int[StableCount];
                for (int n = 0; n < MaxScans && !stopReaders.IsCancellationRequested; n++)
                {
                    Array.Clear(stableSeen);
                    var visitor = new CheckingVisitor(stableSeen, failures, needsState: n % 2 == 0);
                    var cursor = default(FlowScanCursor);
                    while (!cursor.IsComplete)
                    {
                        table.Scan(ref cursor, rng.Next(1, 512), ref visitor);
                    }

                    for (int i = 0; i < StableCount; i++)
                    {
                        if (stableSeen[i] != 1)
                        {
                            failures.Enqueue($"scan {n} delivered stable key {i} {stableSeen[i]} times");
                            break;
                        }
                    }

                    completeScans++;
                }
            }),
        };

        threads[0].Join();
        threads[1].Join();
        stopReaders.Cancel();
        foreach (var thread in threads)
        {
            thread.Join();
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} failures, first: {string.Join("\n", failures.Take(10))}");

        // The threads really ran against each other (op counts, not timing).
        Assert.True(stableHits > 0 && batchStableHits > 0 && writerKeyHits > 0 && completeScans > 0,
            $"stable hits {stableHits}, batch stable hits {batchStableHits}, writer-key hits {writerKeyHits}, scans {completeScans}");
        Assert.True(writers.All(w => w.Creates > 100 && w.Removes > 100 && w.Updates > 100), "writers did too little");

        // Final state: exactly the stable keys and the writers' expected sets.
        long expectedCount = StableCount + writers.Sum(w => w.Expected.Count);
        Assert.Equal(expectedCount, table.Count);
        foreach (var writer in writers)
        {
            for (int i = 0; i < WriterRange; i++)
            {
                var key = Key(writer.Space, i);
                var status = table.Get(key, out var state, out var vendor);
                if (writer.Expected.TryGetValue(i, out ushort gen))
                {
                    Assert.Equal(SaiStatus.Success, status);
                    Assert.Equal(Encode(key, gen), state);
                    Assert.Equal(Vendor(key, gen), vendor);
                }
                else
                {
                    Assert.Equal(SaiStatus.ItemNotFound, status);
                }
            }
        }

        for (int i = 0; i < StableCount; i++)
        {
            var key = Key(StableSpace, i);
            Assert.Equal(SaiStatus.Success, table.Get(key, out var state, out var vendor));
            Assert.Equal(Encode(key, (ushort)(i % 1024)), state);
            Assert.Equal(Vendor(key, (ushort)(i % 1024)), vendor);
        }

        var finalSeen = new int[StableCount];
        var final = new CheckingVisitor(finalSeen, failures, needsState: true);
        var finalCursor = default(FlowScanCursor);
        table.Scan(ref finalCursor, int.MaxValue, ref final);
        Assert.True(finalCursor.IsComplete);
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(10)));
        Assert.Equal(expectedCount, final.Total);
        Assert.All(finalSeen, seen => Assert.Equal(1, seen));
        foreach (var writer in writers)
        {
            Assert.Equal(writer.Expected.Keys.Order(), final.WriterKeys(writer.Space).Order());
        }

        var counters = table.Counters;
        Assert.Equal(table.Count, counters.Created - counters.Removed);
        Assert.Equal(StableCount + writers.Sum(w => w.Creates), counters.Created);
        Assert.Equal(writers.Sum(w => w.Removes), counters.Removed);
        Assert.Equal(writers.Sum(w => w.Updates), counters.Updated);
        Assert.Equal(writers.Sum(w => w.FailedCreates), counters.CreateFailed);
        Assert.Equal(0, counters.TableFull);
        Assert.Equal(0, counters.Aged);
    }

    private static Thread Start(string name, ConcurrentQueue<string> failures, Action body)
    {
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                failures.Enqueue($"{name} threw {e}");
            }
        })
        { Name = name, IsBackground = true };
        thread.Start();
        return thread;
    }

    /// <summary>Key i of a space: space 0 holds the stable keys, 1 and 2 the writers' disjoint ranges.</summary>
    internal static FlowKey Key(int space, int i) => new(
        new MacAddress(0x0200_0000_0000UL | (uint)space),
        (ushort)(space + 1),
        6,
        IpAddress.FromV4(0x0A00_0000u | ((uint)space << 16) | ((uint)i >> 8)),
        IpAddress.FromV4(0xC0A8_0000u | ((uint)i & 0xFF)),
        (ushort)i,
        (ushort)(443 + space));

    private static uint Mix(in FlowKey key, ushort gen)
    {
        uint h = ((uint)key.VnetId * 0x9E37_79B1u) ^ ((uint)key.SrcPort * 0x85EB_CA6Bu) ^ ((uint)gen * 0xC2B2_AE35u);
        return h ^ (h >> 15);
    }

    private static FlowRewrite RewriteFor(ushort gen) => gen % 3 == 0
        ? default
        : new FlowRewrite(new UnderlayEncap(gen, IpAddress.FromV4(0x0B00_0000u | gen), IpAddress.FromV4(0x0C00_0000u | gen), new MacAddress(gen), new MacAddress(gen + 1UL), DashEncapsulation.Vxlan), default, default);

    /// <summary>The state of a key at a generation (0..1023): every field follows from the two.</summary>
    internal static FlowState Encode(in FlowKey key, ushort gen) => new()
    {
        Version = Mix(key, gen),
        Direction = (FlowDirection)(1 + (gen & 1)),
        Actions = (FlowAction)gen,
        MeterClass = ((uint)gen << 16) | key.SrcPort,
        IsUnidirectional = (gen & 2) != 0, // bidirectional ones have no reverse key, so no pairs
        Rewrite = RewriteFor(gen),
        SyncState = (FlowSyncState)(gen % 5),
    };

    private static byte[] Vendor(in FlowKey key, ushort gen)
    {
        if (gen % 4 == 0)
        {
            return [];
        }

        var bytes = new byte[8 + (gen % 4 * 24)];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Mix(key, gen));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), gen);
        bytes.AsSpan(8).Fill((byte)gen);
        return bytes;
    }

    /// <summary>Checks what a hit copied against its key: first-line fields, then (if unchanged since) the details.</summary>
    private static void CheckHit(FlowTable table, in FlowKey key, in FlowHit hit, ConcurrentQueue<string> failures, string what)
    {
        ushort gen = (ushort)hit.Actions;
        var expected = Encode(key, gen);
        if (hit.Direction != expected.Direction || hit.SyncState != expected.SyncState || hit.IsUnidirectional != expected.IsUnidirectional || hit.IsAged)
        {
            failures.Enqueue($"{what}: torn hit for {key}: gen {gen} direction {hit.Direction} sync {hit.SyncState} uni {hit.IsUnidirectional} aged {hit.IsAged}");
            return;
        }

        if (table.TryReadDetails(hit, out var details)
            && details != new FlowHitDetails(expected.Version, expected.MeterClass, expected.Rewrite))
        {
            failures.Enqueue($"{what}: torn details for {key} gen {gen}: {details}");
        }

        if (table.TryReadRewrite(hit, out var rewrite) && rewrite != expected.Rewrite)
        {
            failures.Enqueue($"{what}: torn rewrite for {key} gen {gen}: {rewrite}");
        }
    }

    /// <summary>Creates, removes and updates keys of its own space and knows exactly what each call must return.</summary>
    private sealed class Writer(FlowTable table, int space, int seed, ConcurrentQueue<string> failures)
    {
        public int Space => space;

        public Dictionary<int, ushort> Expected { get; } = [];

        public long Creates { get; private set; }

        public long Removes { get; private set; }

        public long Updates { get; private set; }

        public long FailedCreates { get; private set; }

        public void Run()
        {
            var rng = new Random(seed);
            var clock = Stopwatch.StartNew();
            for (int n = 0; n < MaxWriterOps && (n % 256 != 0 || clock.Elapsed < s_duration); n++)
            {
                int i = rng.Next(WriterRange);
                var key = Key(space, i);
                ushort gen = (ushort)rng.Next(1024);
                int dice = rng.Next(10);
                if (Expected.TryGetValue(i, out ushort current))
                {
                    if (dice < 4)
                    {
                        Require(table.Remove(key), SaiStatus.Success, "Remove", key);
                        Expected.Remove(i);
                        Removes++;
                    }
                    else if (dice < 8)
                    {
                        var mutator = new ReplaceMutator { State = Encode(key, gen), Vendor = Vendor(key, gen) };
                        Require(table.Update(key, ref mutator), SaiStatus.Success, "Update", key);
                        Expected[i] = gen;
                        Updates++;
                    }
                    else if (dice < 9)
                    {
                        Require(table.Create(key, Encode(key, gen), Vendor(key, gen)), SaiStatus.ItemAlreadyExists, "duplicate Create", key);
                        FailedCreates++;
                    }
                    else if (table.Get(key, out var state, out var vendor) != SaiStatus.Success || state != Encode(key, current)
                        || !vendor.AsSpan().SequenceEqual(Vendor(key, current)))
                    {
                        failures.Enqueue($"writer {space}: Get {key} does not return generation {current}");
                    }
                }
                else if (dice < 8)
                {
                    Require(table.Create(key, Encode(key, gen), Vendor(key, gen)), SaiStatus.Success, "Create", key);
                    Expected[i] = gen;
                    Creates++;
                }
                else
                {
                    Require(table.Remove(key), SaiStatus.ItemNotFound, "Remove of a missing key", key);
                }
            }
        }

        private void Require(SaiStatus actual, SaiStatus expected, string what, in FlowKey key)
        {
            if (actual != expected)
            {
                failures.Enqueue($"writer {space}: {what} {key} returned {actual}, expected {expected}");
            }
        }
    }

    private struct ReplaceMutator : IFlowEntryMutator
    {
        public FlowState State;
        public byte[] Vendor;

        public readonly SaiStatus Mutate(ref FlowState state)
        {
            state = State;
            return SaiStatus.Success;
        }

        public readonly bool ReplacesVendorMetadata => true;

        public readonly ReadOnlySpan<byte> VendorMetadata => Vendor;
    }

    /// <summary>Counts stable keys and checks every delivered entry against its key.</summary>
    private struct CheckingVisitor(int[] stableSeen, ConcurrentQueue<string> failures, bool needsState) : IFlowScanVisitor
    {
        private readonly List<FlowKey> _writerKeys = [];

        public long Total { get; private set; }

        public readonly bool NeedsState => needsState;

        public readonly IEnumerable<int> WriterKeys(int space) =>
            _writerKeys.Where(k => k.VnetId == space + 1).Select(k => (int)k.SrcPort);

        public readonly bool Accept(in FlowEntryView view) => true;

        public bool Visit(in FlowEntryView view, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
        {
            Total++;
            var key = view.Key;
            int space = key.VnetId - 1;
            int i = key.SrcPort;
            if (space is < 0 or > 2 || i >= (space == StableSpace ? StableCount : WriterRange) || key != Key(space, i))
            {
                failures.Enqueue($"scan delivered a key nobody created: {key}");
                return true;
            }

            if (space == StableSpace)
            {
                stableSeen[i]++;
            }
            else
            {
                _writerKeys.Add(key);
            }

            ushort gen = (ushort)view.Actions;
            var expected = Encode(key, gen);
            if (view.Version != expected.Version || view.Direction != expected.Direction || view.SyncState != expected.SyncState
                || view.IsUnidirectional != expected.IsUnidirectional || view.IsAged)
            {
                failures.Enqueue($"scan: torn view of {key} (gen {gen}, version {view.Version})");
            }

            if (needsState && (state != expected || !vendorMetadata.SequenceEqual(Vendor(key, gen))))
            {
                failures.Enqueue($"scan: torn state of {key} (gen {gen}): {state}, vendor {vendorMetadata.Length} bytes");
            }

            return true;
        }
    }
}
