using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.EndToEnd;

/// <summary>
/// A temporary dataset project as a user writes one, consuming build/VideoDataset.props and
/// .targets the way a NuGet package delivers them, built with a real `dotnet build`.
/// </summary>
public sealed class DatasetProject : IDisposable
{
    public string Dir { get; }
    public string ProjectFile => Path.Combine(Dir, "Dataset.proj");
    public string EpisodeDir => Path.Combine(Dir, "episodes");
    public string AnnotationFile => Path.Combine(Dir, "annotations.jsonl");
    public string DatasetDir => Path.Combine(Dir, "dataset");
    public Dictionary<string, string> Properties { get; } = new()
    {
        ["ModelDir"] = "tiny", ["FrameWidth"] = "128", ["FrameHeight"] = "80",
    };

    public DatasetProject(string name)
    {
        Dir = Path.Combine(Path.GetTempPath(), "vds-e2e", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(EpisodeDir);
        WriteProject();
    }

    /// <summary>Copies the bundled sample's clips and annotations.</summary>
    public DatasetProject WithSample()
    {
        foreach (string f in Directory.EnumerateFiles(Path.Combine(Repo.SampleDir, "episodes"), "*.mp4", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(Path.Combine(Repo.SampleDir, "episodes"), f);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(EpisodeDir, rel))!);
            File.Copy(f, Path.Combine(EpisodeDir, rel));
        }
        File.Copy(Path.Combine(Repo.SampleDir, "annotations.jsonl"), AnnotationFile);
        return this;
    }

    public void WriteProject()
    {
        string props = string.Join("\n", Properties.Select(p => $"    <{p.Key}>{p.Value}</{p.Key}>"));
        File.WriteAllText(ProjectFile, $"""
            <Project Sdk="Microsoft.Build.NoTargets/3.7.0">
              <Import Project="{Repo.Root}/build/VideoDataset.props" />
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <VideoDatasetTasksAssembly>{Repo.TasksAssembly}</VideoDatasetTasksAssembly>
                <VideoDatasetWorkerPath>{Repo.WorkerPath}</VideoDatasetWorkerPath>
                <EpisodeDir>episodes/</EpisodeDir>
                <AnnotationFile>annotations.jsonl</AnnotationFile>
                <DatasetDir>dataset/</DatasetDir>
            {props}
              </PropertyGroup>
              <Import Project="{Repo.Root}/build/VideoDataset.targets" />
            </Project>
            """);
    }

    public Repo.Result Build(params string[] extra) =>
        Repo.Run("dotnet", new[] { "build", ProjectFile, "-nologo", "-v:n", "-nodeReuse:false", "-clp:NoSummary;ForceNoAlign" }.Concat(extra), Dir);

    /// <summary>Every file under DatasetDir with its last write time, to prove what a build touched.</summary>
    public Dictionary<string, DateTime> Snapshot() =>
        Directory.Exists(DatasetDir)
            ? Directory.EnumerateFiles(DatasetDir, "*", SearchOption.AllDirectories)
                .Where(f => !f.EndsWith(".lock", StringComparison.Ordinal))
                .ToDictionary(f => Path.GetRelativePath(DatasetDir, f).Replace('\\', '/'), File.GetLastWriteTimeUtc)
            : new();

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
