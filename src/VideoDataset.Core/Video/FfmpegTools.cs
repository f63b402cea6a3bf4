using System.Diagnostics;
using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Core.Video;

/// <summary>Starting ffmpeg and ffprobe (found on PATH).</summary>
internal static class FfmpegTools
{
    public static ProcessStartInfo StartInfo(string tool, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(string tool, IEnumerable<string> args)
    {
        using var p = Start(tool, args);
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr.Result);
    }

    public static Process Start(string tool, IEnumerable<string> args)
    {
        try { return Process.Start(StartInfo(tool, args)) ?? throw new InvalidOperationException($"{tool} did not start"); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new DiagnosticException(Diagnostic.Error("VDS2009", tool, 0, 0, $"cannot start {tool} (is ffmpeg installed and on PATH?): {e.Message}"));
        }
    }

    /// <summary>The end of a tool's stderr, on one line, for an error message.</summary>
    public static string LastLines(string stderr, int maxChars = 600)
    {
        string text = stderr.Trim().ReplaceLineEndings(" | ");
        return text.Length <= maxChars ? text : "..." + text[^maxChars..];
    }
}
