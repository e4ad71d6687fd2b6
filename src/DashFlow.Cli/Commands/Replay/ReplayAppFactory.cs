using DashFlow.Api;
using DashFlow.Dataplane.Apps.NatGateway;
using DashFlow.Dataplane.Apps.Observe;
using DashFlow.Dataplane.Pipeline;
using DashFlow.Dataplane.Traffic;

namespace DashFlow.Cli.Commands.Replay;

/// <summary>What a slow-path app is built from: the device, the ENI's table, the replay's learn mode and the NAT gateway's
/// configuration file (<c>--nat-config</c>, null for the default).</summary>
public sealed record ReplayAppContext(FlowApi Api, FlowTableId Table, ObserveLearnMode Learn, FileInfo? NatConfig = null);

/// <summary>Creates the slow-path app <c>--app</c> names; each app is one entry in <see cref="Apps"/>.</summary>
public static class ReplayAppFactory
{
    /// <summary>The app names <c>--app</c> accepts, and how to build each (null: not in this build).</summary>
    public static readonly IReadOnlyDictionary<string, Func<ReplayAppContext, ISlowPath>?> Apps = new Dictionary<string, Func<ReplayAppContext, ISlowPath>?>
    {
        ["observe"] = c => new ObserveApp(c.Api, c.Table, c.Learn),
        ["nat-gateway"] = c => new NatGateway(c.Api, NatOptions(c)),
    };

    /// <summary>
    /// The gateway's options in a replay: <c>--nat-config</c>, or without it the configuration of the generated NAT workload
    /// (<see cref="NatGatewayWorkload.Create"/>: VNETs 101–103 SNAT to 203.0.113.1–3, TCP 443 and UDP 53 on 203.0.113.100
    /// DNAT to backends in VNET 200, the internet side untunnelled), so a capture of that workload replays as generated.
    /// Either way the pipeline sweeps before each aging tick (the gateway does not sweep again), each pass waits for its
    /// AGED bulk get (deterministic), and the gateway owns the device's bulk-get callback (it is the only client).
    /// </summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="FormatException">The file is not a valid configuration.</exception>
    public static NatGatewayOptions NatOptions(ReplayAppContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = context.NatConfig is null
            ? NatGatewayWorkload.Create(context.Table).Gateway
            : NatGatewayConfigFile.Parse(File.ReadAllText(context.NatConfig.FullName), context.Table);
        return options with { SweepsAging = false, WaitsForAgingSession = true, RegistersEventCallback = true };
    }

    /// <summary>Builds the app, or returns null with the reason in <paramref name="problem"/>.</summary>
    public static ISlowPath? Create(string name, ReplayAppContext context, out string? problem)
    {
        if (!Apps.TryGetValue(name, out var factory))
        {
            problem = $"--app: unknown app '{name}' (expected {string.Join(", ", Apps.Keys)})";
            return null;
        }

        if (factory is null)
        {
            problem = $"--app {name}: the {name} app is not available in this build";
            return null;
        }

        try
        {
            problem = null;
            return factory(context);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentException)
        {
            problem = $"--nat-config: {e.Message}";
            return null;
        }
    }
}
