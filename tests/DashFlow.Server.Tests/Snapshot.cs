using System.Runtime.CompilerServices;

namespace DashFlow.Server.Tests;

/// <summary>
/// Compares text with a checked-in <c>Snapshots/NAME.verified.txt</c> (Verify is not in the registry here; this does the same
/// for text). A mismatch writes <c>NAME.received.txt</c> beside it; DASHFLOW_UPDATE_SNAPSHOTS=1 accepts the new text.
/// </summary>
internal static class Snapshot
{
    public static void Verify(string name, string actual, [CallerFilePath] string caller = "")
    {
        string folder = Path.Combine(Path.GetDirectoryName(caller)!, "Snapshots");
        string verified = Path.Combine(folder, $"{name}.verified.txt");
        string received = Path.Combine(folder, $"{name}.received.txt");
        string text = actual.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (Environment.GetEnvironmentVariable("DASHFLOW_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(verified, text);
            return;
        }

        string expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n", StringComparison.Ordinal) : string.Empty;
        if (expected != text)
        {
            File.WriteAllText(received, text);
            Assert.Fail($"{name} differs from its snapshot; see {received} (set DASHFLOW_UPDATE_SNAPSHOTS=1 to accept).");
        }

        File.Delete(received);
    }
}
