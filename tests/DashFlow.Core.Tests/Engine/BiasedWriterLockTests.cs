using DashFlow.Engine;

namespace DashFlow.Core.Tests.Engine;

/// <summary>
/// The writer lock's fast path has no atomic instruction, so exclusion rests on the revocation protocol: these tests run
/// other writers into the lock while the biased thread is busy inside it, and count lost updates and overlaps.
/// </summary>
public sealed class BiasedWriterLockTests
{
    [Fact]
    public void OtherWritersArriveWhileBiasedThreadWrites_NoOverlapAndNoLostUpdate()
    {
        const int Rounds = 100; // each round revokes a fresh lock once, while its biased thread is busy inside
        const int BiasedOps = 20_000;
        const int OtherOps = 2_000;
        for (int round = 0; round < Rounds; round++)
        {
            var writerLock = new BiasedWriterLock();
            var state = new SharedState();
            using var biasedHasStarted = new ManualResetEventSlim();
            bool biasedBeforeOthers = false;
            var biased = new Thread(() =>
            {
                for (int i = 0; i < BiasedOps; i++)
                {
                    using (writerLock.Enter())
                    {
                        state.Touch();
                    }

                    if (i == 100)
                    {
                        biasedBeforeOthers = writerLock.IsBiased;
                        biasedHasStarted.Set();
                    }
                }
            });
            biased.Start();
            biasedHasStarted.Wait();
            var others = Writers(2, OtherOps, writerLock, state);
            others.ForEach(t => t.Start());
            biased.Join();
            others.ForEach(t => t.Join());

            Assert.True(biasedBeforeOthers);
            Assert.False(writerLock.IsBiased);
            Assert.Equal(0, state.Overlaps);
            Assert.Equal(BiasedOps + (2 * OtherOps), state.Count);
        }
    }

    [Fact]
    public void NestedEntryOfTheBiasedThread_HoldsOffAnotherWriterUntilTheOuterExit()
    {
        var writerLock = new BiasedWriterLock();
        var order = new List<string>();
        using var nestedEntered = new ManualResetEventSlim();
        using var otherStarted = new ManualResetEventSlim();
        var biased = new Thread(() =>
        {
            using (writerLock.Enter())
            {
                using (writerLock.Enter())
                {
                    nestedEntered.Set();
                    otherStarted.Wait();
                    Thread.Sleep(100); // the other writer is now spinning in the revocation or blocked on the lock
                    lock (order)
                    {
                        order.Add("inner");
                    }
                }

                Thread.Sleep(50);
                lock (order)
                {
                    order.Add("outer");
                }
            }

            using (writerLock.Enter()) // after the revocation: the ordinary lock, re-entrant as well
            {
                using (writerLock.Enter())
                {
                    lock (order)
                    {
                        order.Add("after");
                    }
                }
            }
        });
        biased.Start();
        nestedEntered.Wait();
        var other = new Thread(() =>
        {
            otherStarted.Set();
            using (writerLock.Enter())
            {
                lock (order)
                {
                    order.Add("other");
                }
            }
        });
        other.Start();
        biased.Join();
        other.Join();

        Assert.Equal(["inner", "outer"], order.Take(2));
        Assert.Equal(["after", "other"], order.Skip(2).Order());
        Assert.False(writerLock.IsBiased);
    }

    [Fact]
    public void TwoFirstWritersRaceForTheBias_NoOverlapAndNoLostUpdate()
    {
        const int Rounds = 200; // each round races two threads for a fresh lock's bias
        const int OpsPerThread = 2_000;
        for (int round = 0; round < Rounds; round++)
        {
            var writerLock = new BiasedWriterLock();
            var state = new SharedState();
            using var go = new ManualResetEventSlim();
            var threads = Writers(2, OpsPerThread, writerLock, state, go);
            threads.ForEach(t => t.Start());
            go.Set();
            threads.ForEach(t => t.Join());

            Assert.Equal(0, state.Overlaps);
            Assert.Equal(2 * OpsPerThread, state.Count);
        }
    }

    [Fact]
    public void ExceptionInsideASection_LeavesTheLockFreeOnBothPaths()
    {
        var writerLock = new BiasedWriterLock();
        Assert.Throws<InvalidOperationException>(() => ThrowInside(writerLock)); // the biased path
        Assert.True(writerLock.IsBiased);

        var other = new Thread(() => Assert.Throws<InvalidOperationException>(() => ThrowInside(writerLock))); // revokes
        other.Start();
        Assert.True(other.Join(TimeSpan.FromSeconds(10)));
        Assert.False(writerLock.IsBiased);

        Assert.Throws<InvalidOperationException>(() => ThrowInside(writerLock)); // the first thread, now through the lock
        var last = new Thread(() =>
        {
            using (writerLock.Enter())
            {
            }
        });
        last.Start();
        Assert.True(last.Join(TimeSpan.FromSeconds(10)), "a writer was left waiting after an exception");
    }

    /// <summary>Threads (not started) that each enter the lock <paramref name="ops"/> times, after <paramref name="start"/> is set when given.</summary>
    private static List<Thread> Writers(int count, int ops, BiasedWriterLock writerLock, SharedState state, ManualResetEventSlim? start = null) =>
        Enumerable.Range(0, count).Select(_ => new Thread(() =>
        {
            start?.Wait();
            for (int i = 0; i < ops; i++)
            {
                using (writerLock.Enter())
                {
                    state.Touch();
                }
            }
        })).ToList();

    private static void ThrowInside(BiasedWriterLock writerLock)
    {
        using (writerLock.Enter())
        {
            throw new InvalidOperationException("inside the section");
        }
    }

    /// <summary>A counter updated with a plain read-modify-write, and a flag that catches two threads inside at once.</summary>
    private sealed class SharedState
    {
        private int _inside;

        public long Count { get; private set; }

        public int Overlaps { get; private set; }

        public void Touch()
        {
            if (Interlocked.Exchange(ref _inside, 1) != 0)
            {
                Overlaps++;
            }

            long value = Count;
            Thread.SpinWait(8); // widen the window in which an overlapping writer would lose this update
            Count = value + 1;
            Volatile.Write(ref _inside, 0);
        }
    }
}
