using DashFlow.Api;
using DashFlow.Model;
using Prometheus;

namespace DashFlow.Server.Hosting;

/// <summary>
/// The agent's Prometheus metrics: operations and failures by kind, and per-table gauges (flows, aged, counters) read from
/// the engine at scrape time, so the data path pays nothing for them.
/// </summary>
public sealed class AgentMetrics
{
    private readonly Counter _operations;
    private readonly Gauge _flows;
    private readonly Gauge _aged;
    private readonly Gauge _tableCounters;
    private readonly Counter _sessionsFinished;
    private readonly Gauge _sessionsRunning;

    public AgentMetrics(FlowApi api)
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        _operations = factory.CreateCounter("dashflow_operations_total", "Flow API calls by operation and SAI status.", "operation", "status");
        _flows = factory.CreateGauge("dashflow_flows", "Flow entries per table.", "table");
        _aged = factory.CreateGauge("dashflow_flows_aged", "Entries marked aged per table.", "table");
        _tableCounters = factory.CreateGauge("dashflow_table_events", "Per-table engine counters.", "table", "event");
        _sessionsFinished = factory.CreateCounter("dashflow_bulk_get_sessions_finished_total", "Bulk get sessions by final state.", "state");
        _sessionsRunning = factory.CreateGauge("dashflow_bulk_get_sessions_running", "Bulk get sessions created and not yet finished.");
        Registry.AddBeforeCollectCallback(() => Refresh(api));
    }

    /// <summary>Exports an HA node's state, term, lag and counters, read at scrape time.</summary>
    public void Attach(DashFlow.Server.Ha.HaNode node)
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        var state = factory.CreateGauge("dashflow_ha_state", "HA state (docs/ha.md numbering).");
        var term = factory.CreateGauge("dashflow_ha_term", "HA term.");
        var decides = factory.CreateGauge("dashflow_ha_decides", "1 while this node decides.");
        var pending = factory.CreateGauge("dashflow_ha_inline_pending", "Inline changes queued or unacked (the lag).");
        var sync = factory.CreateCounter("dashflow_ha_sync_total", "HA sync counters: inline and timed requests, bulk sync messages and flows.", "counter");
        Registry.AddBeforeCollectCallback(() =>
        {
            var status = node.Status();
            state.Set(status.HaState);
            term.Set(status.Term);
            decides.Set(status.Decides ? 1 : 0);
            pending.Set(status.Pending);
            foreach (var (name, value) in status.Counters)
            {
                sync.WithLabels(name).IncTo(value);
            }
        });
    }

    /// <summary>The registry the /metrics endpoint serves.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Counts one call and passes its status through.</summary>
    public SaiStatus Count(string operation, SaiStatus status)
    {
        _operations.WithLabels(operation, status.Split().Base.Describe()).Inc();
        return status;
    }

    /// <summary>A session was created.</summary>
    public void SessionCreated() => _sessionsRunning.Inc();

    /// <summary>A session raised its FINISHED with <paramref name="finalState"/>.</summary>
    public void SessionFinished(DashFlow.Sessions.BulkGetSessionState finalState)
    {
        _sessionsRunning.Dec();
        _sessionsFinished.WithLabels(finalState.ToString().ToLowerInvariant()).Inc();
    }

    /// <summary>Counts every object of a bulk call.</summary>
    public void CountBulk(string operation, ReadOnlySpan<SaiStatus> statuses)
    {
        // Runs of one base status, counted in place: no grouping objects per status on 10,000-record calls.
        for (int start = 0; start < statuses.Length;)
        {
            var status = statuses[start].Split().Base;
            int end = start + 1;
            while (end < statuses.Length && statuses[end].Split().Base == status)
            {
                end++;
            }

            _operations.WithLabels(operation, status.Describe()).Inc(end - start);
            start = end;
        }
    }

    private void Refresh(FlowApi api)
    {
        foreach (var id in api.FlowTableIds)
        {
            if (!api.TryGetTable(id, out var table))
            {
                continue;
            }

            string label = id.ToString();
            var counters = table.Counters;
            _flows.WithLabels(label).Set(table.Count);
            _aged.WithLabels(label).Set(table.AgedCount);
            _tableCounters.WithLabels(label, "created").Set(counters.Created);
            _tableCounters.WithLabels(label, "create_failed").Set(counters.CreateFailed);
            _tableCounters.WithLabels(label, "removed").Set(counters.Removed);
            _tableCounters.WithLabels(label, "aged").Set(counters.Aged);
            _tableCounters.WithLabels(label, "table_full").Set(counters.TableFull);
        }
    }
}
