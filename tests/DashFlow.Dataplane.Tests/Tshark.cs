using System.Diagnostics;
using DashFlow.Dataplane.Capture;

namespace DashFlow.Dataplane.Tests;

/// <summary>tshark as a second oracle, when installed: checksum validation on, expert info out.</summary>
internal static class Tshark
{
    private static readonly Lazy<string?> s_path = new(Find);

    /// <summary>The tshark executable, or null when it is not installed.</summary>
    public static string? Path => s_path.Value;

    private static readonly Lazy<string[]> s_otherProtocols = new(() =>
    {
        var keep = new System.Text.RegularExpressions.Regex(@"^(frame|eth|ethertype|vlan|ip|ipv6|ipv6\..*|ip\.options\..*|tcp|tcp\.options\..*|udp|icmp|icmpv6|vxlan|gre|data|_ws\..*|expert)$");
        var info = new ProcessStartInfo(Path!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-G");
        info.ArgumentList.Add("protocols");
        using var process = Process.Start(info)!;
        _ = process.StandardError.ReadToEndAsync();
        var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        process.WaitForExit();
        return lines.Select(l => l.Split('\t')).Where(f => f.Length >= 3 && !keep.IsMatch(f[2])).Select(f => f[2]).ToArray();
    });

    private static string? Find()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator))
        {
            var candidate = System.IO.Path.Combine(dir, "tshark");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Writes the frames to a temporary pcap and returns tshark's malformed/checksum complaints, one per line
    /// ("frame N: message"); null when tshark is absent.</summary>
    public static IReadOnlyList<string>? Problems(IEnumerable<byte[]> frames)
    {
        if (Path is null)
        {
            return null;
        }

        var file = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"dashflow-tshark-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var writer = PcapWriter.Create(file))
            {
                long t = 1_700_000_000_000_000_000;
                foreach (var frame in frames)
                {
                    writer.Write(t, frame);
                    t += 1000;
                }
            }

            return ProblemsIn(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>tshark's malformed/checksum complaints about a capture file.</summary>
    public static IReadOnlyList<string> ProblemsIn(string file)
    {
        var info = new ProcessStartInfo(Path!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "-r", file, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
            "-T", "fields", "-E", "separator=|", "-e", "frame.number", "-e", "_ws.expert", "-e", "_ws.expert.group", "-e", "_ws.malformed",
        })
        {
            info.ArgumentList.Add(arg);
        }

        // Only the layers DashFlow writes are dissected: random payloads on random ports must not trip application
        // dissectors (tshark 4.0 has no "disable all", so every other protocol is disabled by name).
        foreach (var protocol in s_otherProtocols.Value)
        {
            info.ArgumentList.Add("--disable-protocol");
            info.ArgumentList.Add(protocol);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            return [$"tshark exited with {process.ExitCode}: {stderr.Result}"];
        }

        var problems = new List<string>();
        foreach (var line in stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split('|');
            // Expert groups: 0x01000000 checksum, 0x07000000 malformed.
            bool badGroup = fields.Length > 2 && fields[2].Split(',').Any(g => g is "16777216" or "117440512");
            bool text = line.Contains("Malformed", StringComparison.OrdinalIgnoreCase) || line.Contains("checksum", StringComparison.OrdinalIgnoreCase);
            bool malformed = fields.Length > 3 && fields[3].Length > 0;
            if (badGroup || text || malformed)
            {
                problems.Add($"frame {fields[0]}: {line}");
            }
        }

        return problems;
    }
}
