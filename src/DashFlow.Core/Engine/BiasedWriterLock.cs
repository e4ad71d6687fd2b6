using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace DashFlow.Engine;

/// <summary>
/// A table's writer lock, biased to the first thread that writes. While that thread is the only writer it enters and
/// leaves with plain stores: no locked instruction, so the CPU keeps overlapping one write's cache misses with the next
/// write's, as a single-writer hash table in C does. The first write from any other thread revokes the bias for good
/// (a process-wide memory barrier, then a wait for the biased thread to leave) and from then on every writer takes an
/// ordinary <see cref="Lock"/>. Re-entrant, like the lock it wraps.
/// </summary>
/// <remarks>
/// The biased side stores its depth and then loads the revoked flag; the revoker stores the flag, runs
/// <see cref="Interlocked.MemoryBarrierProcessWide"/> and then loads the depth. The barrier puts a full fence into the
/// biased thread between any two of its instructions, so either the revoker sees the biased thread inside and waits, or
/// the biased thread sees the revocation and takes the lock instead (the asymmetric Dekker pattern of RCU and of
/// biased locking in JVMs).
/// </remarks>
internal sealed class BiasedWriterLock
{
    private static long s_lastThreadToken;

    [ThreadStatic]
    private static long t_threadToken; // never reused (64-bit), unlike managed thread ids; and read inline, where the id is a call

    private readonly Lock _lock = new();
    private long _biasedThreadId; // the biased thread's token; 0 until the first writer claims the bias
    private int _biasedDepth; // written by the biased thread only
    private volatile bool _revoked;

    /// <summary>Creates the lock; one that is not <paramref name="biasable"/> behaves as a plain re-entrant <see cref="Lock"/>.</summary>
    public BiasedWriterLock(bool biasable = true) => _revoked = !biasable;

    /// <summary>True while the first writer's fast path is still in use (for tests).</summary>
    internal bool IsBiased => !_revoked && Volatile.Read(ref _biasedThreadId) != 0;

    /// <summary>Enters the lock; dispose the scope to leave.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Scope Enter()
    {
        long me = t_threadToken;
        return _biasedThreadId == me && me != 0 && TryEnterBiased() ? new Scope(this, biased: true) : EnterSlow(me);
    }

    /// <summary>The biased thread's entry: counts itself in, then checks for a revocation, and backs out if there was one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryEnterBiased()
    {
        int depth = _biasedDepth;
        Volatile.Write(ref _biasedDepth, depth + 1);
        StoreLoadFenceOutsideX86();
        if (depth > 0 || !_revoked)
        {
            return true; // a nested entry already excludes the revoker, which waits for depth 0
        }

        Volatile.Write(ref _biasedDepth, 0);
        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Scope EnterSlow(long me)
    {
        if (me == 0)
        {
            me = t_threadToken = Interlocked.Increment(ref s_lastThreadToken);
        }

        if (!_revoked && _biasedThreadId == 0 && Interlocked.CompareExchange(ref _biasedThreadId, me, 0) == 0 && TryEnterBiased())
        {
            return new Scope(this, biased: true);
        }

        _lock.Enter();
        if (!_revoked)
        {
            Revoke();
        }

        return new Scope(this, biased: false);
    }

    /// <summary>Called with the inner lock held, by a thread that is not the biased one (or finds no bias yet).</summary>
    private void Revoke()
    {
        _revoked = true;
        Interlocked.MemoryBarrierProcessWide();
        while (Volatile.Read(ref _biasedDepth) != 0)
        {
            // The biased thread is inside a write: it holds the table for a few stores. No Sleep here, so no
            // ThreadInterruptedException can leave the lock held with the bias half revoked.
            Thread.SpinWait(20);
            Thread.Yield();
        }
    }

    /// <summary>
    /// Orders the biased thread's depth store before its revoked-flag load on CPUs other than x86. There the process-wide
    /// barrier alone would do only when the kernel offers membarrier; its fallback interrupts other cores on x86 alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLoadFenceOutsideX86()
    {
        if (!X86Base.IsSupported)
        {
            Interlocked.MemoryBarrier();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Exit(bool biased)
    {
        if (biased)
        {
            Volatile.Write(ref _biasedDepth, _biasedDepth - 1); // a release store: the section's writes are visible first
        }
        else
        {
            _lock.Exit();
        }
    }

    /// <summary>One entry into the lock.</summary>
    public readonly ref struct Scope
    {
        private readonly BiasedWriterLock _owner;
        private readonly bool _biased;

        internal Scope(BiasedWriterLock owner, bool biased)
        {
            _owner = owner;
            _biased = biased;
        }

        /// <summary>Leaves the lock.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Dispose() => _owner.Exit(_biased);
    }
}
