using DashFlow.Cli.Commands.Serve;

namespace DashFlow.Server.Tests;

/// <summary><c>dashflow serve</c> settings: the JSON file, then DASHFLOW_* variables, then flags, each overriding the one before.</summary>
[Collection("environment")] // these tests set process-wide environment variables
public sealed class ServeConfigurationTests
{
    [Fact]
    public void Resolve_FileThenEnvironmentThenFlags()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dashflow-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "Listen": "127.0.0.1:7001", "MetricsListen": "127.0.0.1:7002", "LogFormat": "json", "Limits": { "MaxBulkObjects": 5 } }""");
        try
        {
            var fromFile = ServeCommand.Resolve(new FileInfo(path), null, null, null);
            Environment.SetEnvironmentVariable("DASHFLOW_LISTEN", "127.0.0.1:7101");
            var fromEnvironment = ServeCommand.Resolve(new FileInfo(path), null, null, null);
            var fromFlags = ServeCommand.Resolve(new FileInfo(path), "127.0.0.1:7201", null, "text");

            Assert.Equal("127.0.0.1:7001", fromFile.Listen);
            Assert.Equal("127.0.0.1:7002", fromFile.MetricsListen);
            Assert.Equal("json", fromFile.LogFormat);
            Assert.Equal(5, fromFile.Limits.MaxBulkObjects);
            Assert.Equal("127.0.0.1:7101", fromEnvironment.Listen);
            Assert.Equal("127.0.0.1:7201", fromFlags.Listen);
            Assert.Equal("text", fromFlags.LogFormat);
            Assert.Equal("127.0.0.1:7002", fromFlags.MetricsListen);
        }
        finally
        {
            Environment.SetEnvironmentVariable("DASHFLOW_LISTEN", null);
            File.Delete(path);
        }
    }

    [Fact]
    public void Serve_BadConfigOrAddress_UsageError()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dashflow-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{ not json");
        try
        {
            var badFile = AgentFixture.Run("serve", "--config", path);
            var badAddress = AgentFixture.Run("serve", "--listen", "nowhere");

            Assert.Equal(1, badFile.Exit);
            Assert.StartsWith("dashflow: --config:", badFile.Error, StringComparison.Ordinal);
            Assert.Equal(1, badAddress.Exit);
            Assert.Contains("'nowhere' is not an address:port", badAddress.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
