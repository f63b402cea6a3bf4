namespace VideoDataset.Core.Worker;

/// <summary>The lines a worker writes on stdout besides canonical errors and warnings.</summary>
public static class WorkerProtocol
{
    public const string ProgressPrefix = "vds-progress: ";
    public const string DonePrefix = "vds-done: ";

    public static string Progress(int done, int total, string label, TimeSpan? eta) =>
        $"{ProgressPrefix}{done}/{total} {label}" + (eta is { } t ? $" (ETA {(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00})" : "");

    /// <summary>An output is complete and records <see cref="WorkItem.Key"/>: "vds-done: &lt;key&gt; &lt;path&gt;".</summary>
    public static string Done(WorkItem item) => $"{DonePrefix}{item.Key} {item.Output}";

    /// <summary>The key and path of a done line; null for any other line.</summary>
    public static (string Key, string Output)? ParseDone(string line)
    {
        if (!line.StartsWith(DonePrefix, StringComparison.Ordinal)) return null;
        string rest = line[DonePrefix.Length..];
        int space = rest.IndexOf(' ');
        return space <= 0 ? null : (rest[..space], rest[(space + 1)..]);
    }
}
