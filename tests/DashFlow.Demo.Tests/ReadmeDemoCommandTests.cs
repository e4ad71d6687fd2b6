using System.Diagnostics;
using System.Text.RegularExpressions;

namespace DashFlow.Demo.Tests;

/// <summary>The README's first set-up command, run exactly as written from the repository root, so the README cannot drift.</summary>
public sealed partial class ReadmeDemoCommandTests
{
    [Fact]
    public async Task ReadmeFirstCommand_RunAsWritten_RunsTheDemoToAPassingReport()
    {
        var root = RepositoryRoot();
        string command = FirstShellCommand(await File.ReadAllTextAsync(Path.Combine(root, "README.md")));
        Assert.Contains(" -- demo", command, StringComparison.Ordinal);
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var start = new ProcessStartInfo(words[0]) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var word in words.Skip(1))
        {
            start.ArgumentList.Add(word);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);

        string output = await stdout;
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{output}\n{await stderr}");
        Assert.Contains("demo passed", output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", output, StringComparison.Ordinal);
    }

    /// <summary>The first command of the first sh block: the README promises it runs the demo.</summary>
    private static string FirstShellCommand(string readme)
    {
        var block = ShellBlock().Match(readme);
        Assert.True(block.Success, "the README has no ```sh block");
        return block.Groups[1].Value.Split('\n').Select(l => l.Trim()).First(l => l.Length > 0 && !l.StartsWith('#'));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DashFlow.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("DashFlow.slnx not found above the test directory");
    }

    [GeneratedRegex("```sh\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();
}
