using DashFlow.Server.Ha;
using Grpc.Core;

namespace DashFlow.Server.Services;

/// <summary>
/// Lets only the deciding agent of an HA pair change tables and flows over the Flow API, so a client writing to the
/// standby cannot make it a second decision maker; an agent without HA always decides. Reads are never gated.
/// </summary>
public sealed class DecisionGate(HaNode? ha)
{
    /// <summary>Runs <paramref name="change"/> as a decision (no switchover takes the role away meanwhile), or answers
    /// FAILED_PRECONDITION naming this agent's HA state when it does not decide.</summary>
    /// <remarks><paramref name="change"/> must complete synchronously: the HA decision lock is held by this thread.</remarks>
    public Task<T> Decide<T>(string function, Func<Task<T>> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (ha is null)
        {
            return change();
        }

        if (!ha.TryEnterDecision())
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"{function}: this agent is {ha.State} in its HA pair; changes go to the active"));
        }

        try
        {
            return change();
        }
        finally
        {
            ha.ExitDecision();
        }
    }
}
