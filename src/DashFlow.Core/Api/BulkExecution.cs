using DashFlow.Model;

namespace DashFlow.Api;

/// <summary>One object of a bulk call.</summary>
internal interface IBulkStep
{
    SaiStatus Execute(int index);
}

/// <summary>The SAI bulk rules: one status per object; STOP_ON_ERROR leaves the rest NOT_EXECUTED; SUCCESS only if all succeeded.</summary>
internal static class BulkExecution
{
    public static SaiStatus Run<TStep>(int count, BulkErrorMode mode, Span<SaiStatus> statuses, ref TStep step)
        where TStep : struct, IBulkStep, allows ref struct
    {
        if (statuses.Length < count || mode is not (BulkErrorMode.StopOnError or BulkErrorMode.IgnoreError))
        {
            return SaiStatus.InvalidParameter;
        }

        bool allSucceeded = true;
        for (int i = 0; i < count; i++)
        {
            if (!allSucceeded && mode == BulkErrorMode.StopOnError)
            {
                statuses[i] = SaiStatus.NotExecuted;
                continue;
            }

            statuses[i] = step.Execute(i);
            allSucceeded &= statuses[i] == SaiStatus.Success;
        }

        return allSucceeded ? SaiStatus.Success : SaiStatus.Failure;
    }
}
