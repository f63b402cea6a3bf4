using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using VideoDataset.Tests.EndToEnd;

namespace VideoDataset.Tests.Reliability;

/// <summary>
/// A `dotnet build` of a dataset project started in its own session and process group (setsid), so
/// the whole tree (MSBuild, its nodes, the worker, ffmpeg) can be killed at once with SIGKILL or
/// interrupted with SIGINT as a terminal's Ctrl+C would.
/// </summary>
public sealed class KillableBuild : IDisposable
{
    readonly Process _process;
    readonly StringBuilder _output = new();
    public int ProcessGroup { get; }
    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    public KillableBuild(DatasetProject project, params string[] extra)
    {
        var psi = new ProcessStartInfo("setsid") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = project.Dir };
        foreach (string a in new[] { "dotnet", "build", project.ProjectFile, "-nologo", "-v:n", "-nodeReuse:false", "-clp:NoSummary;ForceNoAlign" }.Concat(extra))
            psi.ArgumentList.Add(a);
        foreach (string v in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly", "VSTEST_HOST_DEBUG" })
            psi.Environment.Remove(v);
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // setsid(1) does not fork when its caller is not a group leader (a child of this process is
        // not), so it becomes the leader of a new group whose id is its own pid.
        ProcessGroup = _process.Id;
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    public bool HasExited => _process.HasExited;

    public int Wait(int timeoutSeconds = 600)
    {
        if (!_process.WaitForExit(timeoutSeconds * 1000))
        {
            Kill();
            throw new TimeoutException("the build did not finish in time:\n" + Output);
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>SIGKILL to every process of the group; waits until none is left.</summary>
    public void Kill() => Signal(9, waitForGroup: true);

    /// <summary>Sends <paramref name="signal"/> to the whole group, as a terminal does for Ctrl+C (SIGINT = 2).</summary>
    public void Signal(int signal, bool waitForGroup = false)
    {
        SysKill(-ProcessGroup, signal);
        if (!waitForGroup) return;
        var deadline = Stopwatch.StartNew();
        while (GroupMembers(ProcessGroup).Count > 0)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(20))
                throw new InvalidOperationException($"processes of group {ProcessGroup} survived SIGKILL: {string.Join(", ", GroupMembers(ProcessGroup))}");
            SysKill(-ProcessGroup, 9);
            Thread.Sleep(20);
        }
        _process.WaitForExit();
    }

    /// <summary>Process ids whose process group is <paramref name="pgid"/> (from /proc/*/stat), zombies excluded.</summary>
    public static List<int> GroupMembers(int pgid)
    {
        var members = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 2 && fields[0] != "Z" && int.TryParse(fields[2], out int group) && group == pgid) members.Add(pid);
        }
        return members;
    }

    [DllImport("libc", EntryPoint = "kill")]
    static extern int SysKill(int pid, int signal);

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }

    /// <summary>Every file under <paramref name="dir"/> but the lock and its holders' records: relative path to (SHA-256, identity of the file on disk).</summary>
    public static Dictionary<string, (string Sha, string Identity)> Outputs(string dir)
    {
        var result = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        if (!Directory.Exists(dir)) return result;
        // Inode, size and modification time: a rename onto the path gives a new inode even within one timestamp tick.
        var psi = new ProcessStartInfo("find", [dir, "-type", "f", "-printf", "%i:%s:%T@ %P\\n"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        foreach (string line in p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int space = line.IndexOf(' ');
            string rel = line[(space + 1)..];
            // The lock and its holders' records are not outputs (a killed build's record stays until the next build).
            if (rel.EndsWith(".videodataset.lock", StringComparison.Ordinal) || rel.StartsWith(".videodataset-holders/", StringComparison.Ordinal)) continue;
            byte[] bytes;
            try { bytes = File.ReadAllBytes(Path.Combine(dir, rel)); }
            catch (FileNotFoundException) { continue; }
            result[rel] = (Convert.ToHexStringLower(SHA256.HashData(bytes)), line[..space]);
        }
        p.WaitForExit();
        return result;
    }
}
