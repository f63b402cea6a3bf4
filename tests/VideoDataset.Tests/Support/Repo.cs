using System.Diagnostics;
using System.Text;

namespace VideoDataset.Tests.Support;

/// <summary>Locations in this repository and small process helpers for the tests.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DatasetTasks.sln"))) return dir.FullName;
        throw new InvalidOperationException("DatasetTasks.sln not found above " + AppContext.BaseDirectory);
    }

#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    public static string TasksAssembly => Path.Combine(Root, "src/VideoDataset.Tasks/bin", Configuration, "net10.0/VideoDataset.Tasks.dll");
    public static string WorkerPath => Path.Combine(Root, "src/VideoDataset.Worker/bin", Configuration, "net10.0/VideoDataset.Worker.dll");
    public static string SampleDir => Path.Combine(Root, "sample");

    public sealed record Result(int ExitCode, string Output)
    {
        public override string ToString() => $"exit {ExitCode}\n{Output}";
    }

    /// <summary>Runs a program to completion, capturing stdout and stderr together.</summary>
    public static Result Run(string file, IEnumerable<string> args, string? workingDirectory = null, IDictionary<string, string?>? env = null, int timeoutSeconds = 600)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        // A build started from a test must not inherit the test host's MSBuild settings.
        foreach (string v in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly", "VSTEST_HOST_DEBUG" })
            psi.Environment.Remove(v);
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var output = new StringBuilder();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeoutSeconds} s:\n{output}");
        }
        p.WaitForExit();
        return new Result(p.ExitCode, output.ToString());
    }

    public static Result Python(string script, params string[] args) =>
        Run("/usr/bin/python3", new[] { Path.Combine(Root, "tests/VideoDataset.Tests/python", script) }.Concat(args));

    public static Result Ffmpeg(params string[] args) => Run("ffmpeg", new[] { "-loglevel", "error", "-y" }.Concat(args));
}
