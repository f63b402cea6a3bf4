// Small helpers every benchmark program shares (linked into each bench project).
static class BenchSupport
{
    /// <summary>The 1, 5 and 15 minute load averages: printed next to each figure, since the machine is shared.</summary>
    public static string LoadAverage() => string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    /// <summary>A field of this process's /proc/self/status in KiB ("VmHWM:\t12103632 kB": split on any whitespace).</summary>
    public static long Kib(string field) =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(field, StringComparison.Ordinal))
            .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1]);

    /// <summary>This process's minor page faults so far (/proc/self/stat field 10): each maps in a page (4 KiB, or a
    /// 2 MiB huge page), which the kernel zeroes first when it is fresh anonymous memory.</summary>
    public static long MinorFaults()
    {
        string stat = File.ReadAllText("/proc/self/stat");
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[7]);
    }

    /// <summary>The same in MiB (peak RSS: "VmHWM:").</summary>
    public static double RssMiB(string field) => Kib(field) / 1024.0;

    /// <summary>The repository root (the folder holding DatasetTasks.sln) above the running program.</summary>
    public static string FindRepo()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "DatasetTasks.sln"))) return d.FullName;
        throw new InvalidOperationException("run from inside the repository (DatasetTasks.sln not found above the program)");
    }
}
