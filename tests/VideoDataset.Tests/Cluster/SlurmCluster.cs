using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.Cluster;

/// <summary>
/// A real single-node Slurm cluster on this machine (slurmctld + slurmd from Debian's packages), its
/// configuration, state and logs in a temporary folder: one node of 2 CPUs at 127.0.0.1, no
/// accounting, no munge (auth/none, cred/none), running jobs as root. Stopped by the process ids it
/// recorded, never by name, so another cluster on the machine is left alone.
/// </summary>
public sealed partial class SlurmCluster : IDisposable
{
    public string Dir { get; }
    public string ConfFile => Path.Combine(Dir, "slurm.conf");

    SlurmCluster(string dir) { Dir = dir; }

    /// <summary>The running cluster, or null with the reason it cannot run here (not root, Slurm not installed, it did not come up).</summary>
    public static SlurmCluster? TryStart(out string why)
    {
        why = "";
        if (Environment.UserName != "root") { why = "a Slurm cluster of our own needs root (SlurmUser=root)"; return null; }
        foreach (string tool in new[] { "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch" })
            if (!File.Exists(tool)) { why = $"{tool} is not installed (apt-get install slurmctld slurmd slurm-client munge)"; return null; }
        var cluster = new SlurmCluster(Directory.CreateTempSubdirectory("vds-slurm").FullName);
        try
        {
            cluster.Start();
            return cluster;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
        {
            why = "Slurm did not start: " + e.Message;
            cluster.Dispose();
            return null;
        }
    }

    static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    void Start()
    {
        string node = Repo.Run("hostname", ["-s"]).Output.Trim();
        Directory.CreateDirectory(Path.Combine(Dir, "state"));
        Directory.CreateDirectory(Path.Combine(Dir, "spool"));
        File.WriteAllText(ConfFile, $"""
            ClusterName=vds
            SlurmctldHost={node}(127.0.0.1)
            SlurmctldPort={FreePort()}
            SlurmdPort={FreePort()}
            SlurmUser=root
            SlurmdUser=root
            AuthType=auth/none
            CredType=cred/none
            StateSaveLocation={Dir}/state
            SlurmdSpoolDir={Dir}/spool
            SlurmctldPidFile={Dir}/slurmctld.pid
            SlurmdPidFile={Dir}/slurmd.pid
            SlurmctldLogFile={Dir}/slurmctld.log
            SlurmdLogFile={Dir}/slurmd.log
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            SelectType=select/cons_tres
            SelectTypeParameters=CR_CPU
            MpiDefault=none
            ReturnToService=2
            JobCompType=jobcomp/none
            AccountingStorageType=accounting_storage/none
            SchedulerParameters=sched_interval=1
            MinJobAge=3600
            NodeName={node} NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
            PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP

            """);
        // Both daemonize; -i ignores state left by an earlier cluster in the folder (there is none).
        Check(Repo.Run("/usr/sbin/slurmctld", ["-f", ConfFile, "-i"], Dir, Env), "slurmctld");
        Check(Repo.Run("/usr/sbin/slurmd", ["-f", ConfFile], Dir, Env), "slurmd");
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            var r = Repo.Run("sinfo", ["-h", "-o", "%T"], Dir, Env);
            if (r.ExitCode == 0 && r.Output.Trim() == "idle") return;
            Thread.Sleep(200);
        }
        throw new TimeoutException("the node did not become idle in 30 s; slurmctld.log:\n" + ReadLog("slurmctld.log") + "\nslurmd.log:\n" + ReadLog("slurmd.log"));
    }

    string ReadLog(string name) => File.Exists(Path.Combine(Dir, name)) ? File.ReadAllText(Path.Combine(Dir, name)) : "(none)";

    static void Check(Repo.Result r, string what)
    {
        if (r.ExitCode != 0) throw new InvalidOperationException($"{what} exited {r.ExitCode}: {r.Output}");
    }

    /// <summary>The environment a client command (sbatch, scontrol) needs to find this cluster.</summary>
    public Dictionary<string, string?> Env => new() { ["SLURM_CONF"] = ConfFile };

    /// <summary>Runs a Slurm client command against this cluster, with extra environment.</summary>
    public Repo.Result Client(string command, IEnumerable<string> args, IDictionary<string, string?>? env = null, string? dir = null)
    {
        var all = Env;
        if (env is not null) foreach (var (k, v) in env) all[k] = v;
        return Repo.Run(command, args, dir ?? Dir, all, timeoutSeconds: 60);
    }

    [GeneratedRegex(@"JobState=(\S+)")]
    private static partial Regex JobStateField();
    [GeneratedRegex(@"Reason=(\S+)")]
    private static partial Regex ReasonField();

    /// <summary>The state of every job (array task) of <paramref name="jobId"/>, e.g. ["COMPLETED", "COMPLETED"], with the reasons.</summary>
    public List<(string State, string Reason)> States(string jobId)
    {
        var r = Client("scontrol", ["show", "job", "-o", jobId]);
        return r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => (JobStateField().Match(l).Groups[1].Value, ReasonField().Match(l).Groups[1].Value))
            .Where(s => s.Item1 != "").ToList();
    }

    static readonly string[] Ended = ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "PREEMPTED"];

    /// <summary>Waits until every task of the job has ended; returns their states.</summary>
    public List<string> WaitEnded(string jobId, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var states = States(jobId).Select(s => s.State).ToList();
            if (states.Count > 0 && states.All(Ended.Contains)) return states;
            if (clock.Elapsed > timeout) throw new TimeoutException($"job {jobId} still {string.Join(",", states)} after {timeout}:\n{Client("squeue", []).Output}");
            Thread.Sleep(500);
        }
    }

    /// <summary>Waits until <paramref name="until"/> holds for the job's states.</summary>
    public List<(string State, string Reason)> WaitFor(string jobId, Func<List<(string State, string Reason)>, bool> until, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var states = States(jobId);
            if (until(states)) return states;
            if (clock.Elapsed > timeout) throw new TimeoutException($"job {jobId}: {string.Join(",", states)} after {timeout}");
            Thread.Sleep(300);
        }
    }

    public void Dispose()
    {
        // By the pids the daemons recorded; SIGTERM, then wait for them to go.
        var pids = new List<int>();
        foreach (string name in new[] { "slurmd.pid", "slurmctld.pid" })
            if (File.Exists(Path.Combine(Dir, name)) && int.TryParse(File.ReadAllText(Path.Combine(Dir, name)).Trim(), out int pid))
                pids.Add(pid);
        foreach (int pid in pids)
        {
            Repo.Run("kill", ["-TERM", pid.ToString()]);
            try { using var p = Process.GetProcessById(pid); p.WaitForExit(10_000); }
            catch (ArgumentException) { } // already gone
        }
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
