using DashFlow.Api;
using DashFlow.Dataplane.Apps.Observe;
using DashFlow.Dataplane.Pipeline;

namespace DashFlow.Cli.Commands.Replay;

/// <summary>What a slow-path app is built from: the device, the ENI's table and the replay's learn mode.</summary>
public sealed record ReplayAppContext(FlowApi Api, FlowTableId Table, ObserveLearnMode Learn);

/// <summary>Creates the slow-path app <c>--app</c> names; each app is one entry in <see cref="Apps"/>.</summary>
public static class ReplayAppFactory
{
    /// <summary>The app names <c>--app</c> accepts, and how to build each (null: not in this build).</summary>
    public static readonly IReadOnlyDictionary<string, Func<ReplayAppContext, ISlowPath>?> Apps = new Dictionary<string, Func<ReplayAppContext, ISlowPath>?>
    {
        ["observe"] = c => new ObserveApp(c.Api, c.Table, c.Learn),
        ["nat-gateway"] = null, // the NAT gateway app is wired in when its branch is merged
    };

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

        problem = null;
        return factory(context);
    }
}
