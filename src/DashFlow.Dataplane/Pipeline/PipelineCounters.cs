using System.Text;
using DashFlow.Dataplane.Packets;

namespace DashFlow.Dataplane.Pipeline;

/// <summary>What the pipeline did with the packets it was given: one thread writes, readers take a consistent-enough view.</summary>
public sealed class PipelineCounters
{
    private readonly long[] _parseDrops = new long[Enum.GetValues<DropReason>().Length];
    private readonly long[] _pipelineDrops = new long[Enum.GetValues<PipelineDropReason>().Length];

    /// <summary>Frames given to the pipeline.</summary>
    public long Packets { get; internal set; }

    /// <summary>Frames that parsed.</summary>
    public long Parsed { get; internal set; }

    /// <summary>Lookups that found a flow (a re-lookup after the slow path created one counts again).</summary>
    public long Hits { get; internal set; }

    /// <summary>Lookups that found nothing.</summary>
    public long Misses { get; internal set; }

    /// <summary>ICMP errors attributed to a flow by their quoted packet.</summary>
    public long IcmpErrorHits { get; internal set; }

    /// <summary>Misses the slow path turned into flows.</summary>
    public long SlowPathCreated { get; internal set; }

    /// <summary>Misses the slow path ignored.</summary>
    public long SlowPathIgnored { get; internal set; }

    /// <summary>Misses the slow path refused.</summary>
    public long SlowPathRefused { get; internal set; }

    /// <summary>Frames emitted to the output.</summary>
    public long Emitted { get; internal set; }

    /// <summary>Connections the pipeline closed (FIN per the close mode, or RST).</summary>
    public long ConnectionsClosed { get; internal set; }

    /// <summary>Flow entries that left the table while the slow path handled a close (a pair is two).</summary>
    public long FlowsRemovedByTeardown { get; internal set; }

    /// <summary>Aging ticks run (the table swept and the slow path's OnClock called).</summary>
    public long ClockTicks { get; internal set; }

    /// <summary>Every dropped frame, parse failures and pipeline drops together.</summary>
    public long Dropped => _parseDrops.Sum() + _pipelineDrops.Sum();

    /// <summary>Drops for one parse reason.</summary>
    public long this[DropReason reason] => _parseDrops[(int)reason];

    /// <summary>Drops for one pipeline reason.</summary>
    public long this[PipelineDropReason reason] => _pipelineDrops[(int)reason];

    /// <summary>Every non-zero drop count by reason, in snake_case (<c>truncated</c>, <c>tcp_non_syn_flow_miss</c>).</summary>
    public IReadOnlyDictionary<string, long> DropsByReason()
    {
        var drops = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var reason in Enum.GetValues<DropReason>())
        {
            if (reason != DropReason.None && _parseDrops[(int)reason] != 0)
            {
                drops[SnakeCase(reason.ToString())] = _parseDrops[(int)reason];
            }
        }

        foreach (var reason in Enum.GetValues<PipelineDropReason>())
        {
            if (_pipelineDrops[(int)reason] != 0)
            {
                drops[SnakeCase(reason.ToString())] = _pipelineDrops[(int)reason];
            }
        }

        return drops;
    }

    internal void Drop(DropReason reason) => _parseDrops[(int)reason]++;

    internal void Drop(PipelineDropReason reason) => _pipelineDrops[(int)reason]++;

    /// <summary>PascalCase to snake_case: <c>TcpNonSynFlowMiss</c> → <c>tcp_non_syn_flow_miss</c>.</summary>
    public static string SnakeCase(string name)
    {
        var text = new StringBuilder(name.Length + 8);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (!char.IsUpper(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]))))
                {
                    text.Append('_');
                }

                text.Append(char.ToLowerInvariant(c));
            }
            else
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }
}
