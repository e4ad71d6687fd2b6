using DashFlow.Api;
using DashFlow.Model;

namespace DashFlow.Sessions;

/// <summary>A session's attributes (spec §3.6, ordinals 0–9).</summary>
internal sealed record BulkGetSessionConfig
{
    public const int MaxFilters = 5;

    public BulkGetSessionMode Mode { get; init; } = BulkGetSessionMode.Grpc;

    public uint EntryLimit { get; init; }

    public IpAddress ServerIp { get; init; }

    public ushort ServerPort { get; init; }

    /// <summary>FIRST..FIFTH filter ids; 0 is SAI_NULL_OBJECT_ID.</summary>
    public ulong[] FilterIds { get; init; } = new ulong[MaxFilters];

    /// <summary>The FLOW_TABLE extension (D2); 0 = every table.</summary>
    public ulong FlowTable { get; init; }

    public bool References(ulong filterId) => Array.IndexOf(FilterIds, filterId) >= 0;
}

/// <summary>One bulk get session: its attributes, its progress, and the cancellation that removal triggers.</summary>
internal sealed class BulkGetSession
{
    private readonly Lock _sync = new();
    private readonly TaskCompletionSource<BulkGetSessionStatus> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private BulkGetSessionState _state;
    private long _delivered;
    private long _scanned;
    private long _stateStartMs;
    private string? _error;

    public BulkGetSession(BulkGetSessionId id, BulkGetSessionConfig config, FlowTableId[] scannedTables)
    {
        Id = id;
        Config = config;
        ScannedTables = scannedTables;
        CreationTimeMs = NowMs();
        _stateStartMs = CreationTimeMs;
    }

    public BulkGetSessionId Id { get; }

    /// <summary>The attributes; replaced by set only once the session has finished (D14).</summary>
    public BulkGetSessionConfig Config { get; set; }

    /// <summary>The tables the scan reads (a table cannot be removed under a running scan).</summary>
    public FlowTableId[] ScannedTables { get; }

    public long CreationTimeMs { get; }

    /// <summary>Cancelled by removal or by the device's disposal. Never disposed: removal may race with the end.</summary>
    public CancellationTokenSource Cancellation { get; } = new();

    /// <summary>Completes after the FINISHED event was queued.</summary>
    public Task<BulkGetSessionStatus> Completion => _completion.Task;

    /// <summary>True until the session completed, failed or was cancelled.</summary>
    public bool IsLive
    {
        get
        {
            lock (_sync)
            {
                return _state < BulkGetSessionState.Completed;
            }
        }
    }

    public BulkGetSessionStatus Status
    {
        get
        {
            lock (_sync)
            {
                return new BulkGetSessionStatus(_state, _delivered, _scanned, CreationTimeMs, _stateStartMs, _error);
            }
        }
    }

    public long Delivered => Interlocked.Read(ref _delivered);

    public bool Scans(FlowTableId table) => Array.IndexOf(ScannedTables, table) >= 0;

    public void AddDelivered(long count) => Interlocked.Add(ref _delivered, count);

    public void AddScanned(long count) => Interlocked.Add(ref _scanned, count);

    public void Start()
    {
        lock (_sync)
        {
            _state = BulkGetSessionState.InProgress;
            _stateStartMs = NowMs();
        }
    }

    public void Finish(BulkGetSessionState state, string? error)
    {
        lock (_sync)
        {
            _state = state;
            _error = error;
            _stateStartMs = NowMs();
        }
    }

    public void SignalCompletion() => _completion.TrySetResult(Status);

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
