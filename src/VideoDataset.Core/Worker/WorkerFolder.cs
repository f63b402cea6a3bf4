using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.IO;
using VideoDataset.Core.Native;

namespace VideoDataset.Core.Worker;

/// <summary>
/// Assembles the worker of a package consumer in its obj/ folder from the package's managed files
/// and the model runtime that NuGet restored (DESIGN §9): managed files are copied (a linked
/// VideoDataset.Worker.dll would make .NET take the package folder for the application folder),
/// native libraries are symbolic links into the NuGet folder (libtorch_cpu.so alone is 461 MB), and
/// libLibTorchSharp.so is written next to them, patched when the system libstdc++ needs it (libtorch
/// must sit in the same folder). The folder is named after a hash of its sources (paths, sizes,
/// times), so two machines with different NuGet folders building one project never fight over it,
/// and a current folder costs a few file checks; a dangling link (a cleared cache) makes it be
/// assembled anew and swapped in whole.
/// </summary>
public sealed class WorkerFolder
{
    /// <summary>The only platform whose natives the package depends on.</summary>
    public const string SupportedRuntime = "linux-x64";
    public const string WorkerFileName = "VideoDataset.Worker.dll";
    const string RecordFileName = ".vds-worker-sources";
    const string NativePrefix = "runtimes/" + SupportedRuntime + "/native/";
    const string GccThirteenVersion = "GLIBCXX_3.4.32";

    /// <summary>The package's tools/worker folder: the worker's managed files.</summary>
    public required string ManagedDir { get; init; }
    /// <summary>Where workers are assembled (obj/VideoDataset/worker/), one subfolder per set of sources.</summary>
    public required string Root { get; init; }
    /// <summary>The consumer's obj/project.assets.json, which says which packages restore resolved and where.</summary>
    public required string AssetsFile { get; init; }
    /// <summary>The file errors point at (the dataset project).</summary>
    public required string ProjectFile { get; init; }
    /// <summary>This machine's runtime identifier (the SDK's NETCoreSdkRuntimeIdentifier).</summary>
    public required string HostRuntime { get; init; }
    public required string PackageVersion { get; init; }
    public required string TorchSharpVersion { get; init; }
    /// <summary>libtorch-cpu-linux-x64, or the CUDA libtorch package of a GPU build.</summary>
    public required string LibTorchPackage { get; init; }
    public required string LibTorchVersion { get; init; }
    public string[] SystemLibraries { get; init; } = ElfVersionNeed.DefaultSystemLibraries;

    /// <summary>The assembled worker's folder, known once <see cref="Ensure"/> succeeded.</summary>
    public string Folder { get; private set; } = "";
    public string WorkerPath => Path.Combine(Folder, WorkerFileName);

    /// <summary>What <see cref="Ensure"/> did.</summary>
    public enum Outcome { Current, Assembled, Failed }

    /// <summary>Makes <see cref="Folder"/> a working worker; diagnostics explain a failure.</summary>
    public Outcome Ensure(List<Diagnostic> diagnostics, Action<string>? log = null)
    {
        if (!string.Equals(HostRuntime, SupportedRuntime, StringComparison.OrdinalIgnoreCase))
        {
            diagnostics.Add(Error("VDS0910", $"VideoDataset.Build {PackageVersion} runs its model worker on {SupportedRuntime} only " +
                $"(Linux on x86-64 with glibc, e.g. Debian 12: the libtorch natives it depends on are {LibTorchPackage}); this machine is {HostRuntime}."));
            return Outcome.Failed;
        }
        var sources = ResolveSources(diagnostics);
        if (sources is null) return Outcome.Failed;

        string record = Record(sources);
        Folder = Path.Combine(Root, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(record)))[..16]);
        if (IsCurrent(record)) return Outcome.Current;
        Assemble(sources, record);
        log?.Invoke($"Assembled the VideoDataset worker in '{Folder}': {sources.Natives.Count} libtorch libraries linked from '{Path.GetDirectoryName(sources.Natives[0])}', " +
            $"libLibTorchSharp.so from '{Path.GetDirectoryName(sources.LibLibTorchSharp)}'{(NeedsPatch() ? " (patched for this system's libstdc++)" : "")}.");
        return Outcome.Assembled;
    }

    sealed record Sources(List<string> Managed, string DepsFile, string TorchSharpDll, string LibLibTorchSharp, List<string> Natives);

    Sources? ResolveSources(List<Diagnostic> diagnostics)
    {
        if (!File.Exists(AssetsFile))
        {
            diagnostics.Add(Error("VDS0911", $"Expected NuGet's restore output '{AssetsFile}', found none: restore the project (a build without --no-restore does) before building the dataset."));
            return null;
        }
        using var assets = JsonDocument.Parse(File.ReadAllBytes(AssetsFile));
        var root = assets.RootElement;
        var folders = root.TryGetProperty("packageFolders", out var pf) ? pf.EnumerateObject().Select(p => p.Name).ToList() : new List<string>();
        var libraries = root.GetProperty("libraries");

        var torch = Find(libraries, "TorchSharp");
        var libtorch = Find(libraries, LibTorchPackage);
        if (torch is null || torch.Value.version != TorchSharpVersion || libtorch is null || libtorch.Value.version != LibTorchVersion)
        {
            string found = $"TorchSharp {torch?.version ?? "(none)"} and {LibTorchPackage} {libtorch?.version ?? "(none)"}";
            diagnostics.Add(Error("VDS0912", $"VideoDataset.Build {PackageVersion} needs TorchSharp {TorchSharpVersion} and {LibTorchPackage} {LibTorchVersion} (its worker is built against them), " +
                $"but this project's restore resolved {found}. Remove the project's own reference to another version of these packages."));
            return null;
        }

        var missing = new List<string>();
        var incomplete = new SortedSet<string>(StringComparer.Ordinal); // package folders that exist but lack files
        string? Locate((string version, string path, List<string> files) lib, string relative)
        {
            foreach (string folder in folders)
            {
                string full = Path.Combine(folder, lib.path, relative);
                if (File.Exists(full)) return full;
            }
            string first = Path.Combine(folders.FirstOrDefault() ?? "", lib.path);
            missing.Add(Path.Combine(first, relative));
            if (Directory.Exists(first)) incomplete.Add(first);
            return null;
        }
        string? torchDll = Locate(torch.Value, "lib/net8.0/TorchSharp.dll");
        string? binding = Locate(torch.Value, NativePrefix + "libLibTorchSharp.so");
        var natives = libtorch.Value.files.Where(f => f.StartsWith(NativePrefix, StringComparison.Ordinal))
            .Select(f => Locate(libtorch.Value, f)).ToList();
        if (natives.Count == 0) missing.Add($"{LibTorchPackage} {LibTorchVersion}: {NativePrefix}*");
        if (missing.Count > 0)
        {
            string remedy = incomplete.Count > 0
                ? $"Files were deleted from a package folder, which restore does not repair: delete {string.Join(" and ", incomplete.Select(f => $"'{f}'"))} and restore again (a plain `dotnet build` does)."
                : "The NuGet cache was cleared (e.g. by `dotnet nuget locals all --clear`): restore again (a plain `dotnet build` does, `--no-restore` does not).";
            diagnostics.Add(Error("VDS0913", $"The model runtime that restore downloaded is missing from the NuGet packages folder: expected {string.Join(", ", missing.Take(3).Select(m => $"'{m}'"))}" +
                $"{(missing.Count > 3 ? $" and {missing.Count - 3} more" : "")}, found no such file. {remedy}"));
            return null;
        }

        if (!Directory.Exists(ManagedDir) || !File.Exists(Path.Combine(ManagedDir, WorkerFileName)))
        {
            diagnostics.Add(Error("VDS0914", $"Expected the worker's managed files in '{ManagedDir}' ({WorkerFileName}), found none: the VideoDataset.Build package is incomplete; restore it again."));
            return null;
        }
        var managed = Directory.EnumerateFiles(ManagedDir).Where(f => !f.EndsWith(".deps.json", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        string deps = Path.Combine(ManagedDir, "VideoDataset.Worker.deps.json");
        return new Sources(managed, deps, torchDll!, binding!, natives!.Select(n => n!).ToList());
    }

    static (string version, string path, List<string> files)? Find(JsonElement libraries, string id)
    {
        foreach (var lib in libraries.EnumerateObject())
        {
            int slash = lib.Name.IndexOf('/');
            if (slash < 0 || !string.Equals(lib.Name[..slash], id, StringComparison.OrdinalIgnoreCase)) continue;
            if (lib.Value.TryGetProperty("type", out var type) && type.GetString() != "package") continue;
            string path = lib.Value.TryGetProperty("path", out var p) ? p.GetString()! : lib.Name.ToLowerInvariant();
            var files = lib.Value.TryGetProperty("files", out var f) ? f.EnumerateArray().Select(x => x.GetString()!).ToList() : new List<string>();
            return (lib.Name[(slash + 1)..], path, files);
        }
        return null;
    }

    /// <summary>Every source with its size and time, and whether the binding needs the patch: any change means a new folder.</summary>
    string Record(Sources s)
    {
        var text = new StringBuilder();
        text.Append("patch ").Append(NeedsPatch()).Append('\n');
        foreach (string f in s.Managed.Append(s.DepsFile).Append(s.TorchSharpDll).Append(s.LibLibTorchSharp).Concat(s.Natives))
        {
            var info = new FileInfo(f);
            text.Append(f).Append('|').Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks).Append('\n');
        }
        return text.ToString();
    }

    bool NeedsPatch() => !ElfVersionNeed.SystemProvides(SystemLibraries, GccThirteenVersion);

    bool IsCurrent(string record)
    {
        string recordFile = Path.Combine(Folder, RecordFileName);
        if (!File.Exists(recordFile) || File.ReadAllText(recordFile) != record) return false; // also a folder left half-swapped
        return Directory.EnumerateFileSystemEntries(Folder).All(Resolves);
    }

    /// <summary>Whether a file, or the final target of a link, exists (File.Exists is true for a dangling link).</summary>
    public static bool Resolves(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is null ? info.Exists : info.ResolveLinkTarget(returnFinalTarget: true) is { Exists: true };
    }

    void Assemble(Sources s, string record)
    {
        string parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(Folder)))!;
        Directory.CreateDirectory(parent);
        string staging = Path.Combine(parent, Path.GetFileName(Folder) + AtomicFile.TempMarker + Path.GetRandomFileName().Replace(".", ""));
        Directory.CreateDirectory(staging);
        try
        {
            foreach (string f in s.Managed.Append(s.TorchSharpDll)) File.Copy(f, Path.Combine(staging, Path.GetFileName(f)));
            File.WriteAllText(Path.Combine(staging, Path.GetFileName(s.DepsFile)), ManagedOnlyDeps(File.ReadAllText(s.DepsFile)));
            foreach (string n in s.Natives) File.CreateSymbolicLink(Path.Combine(staging, Path.GetFileName(n)), n);
            string binding = Path.Combine(staging, "libLibTorchSharp.so");
            byte[] elf = File.ReadAllBytes(s.LibLibTorchSharp);
            if (NeedsPatch() && ElfVersionNeed.MarkWeak(elf, GccThirteenVersion) > 0) File.WriteAllBytes(binding, elf);
            else File.CreateSymbolicLink(binding, s.LibLibTorchSharp);
            File.WriteAllText(Path.Combine(staging, RecordFileName), record);
            Swap(staging);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Replaces the folder by the staged one; a worker that still runs from the old one keeps its open files.</summary>
    void Swap(string staging)
    {
        string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Folder));
        string? old = null;
        if (Directory.Exists(target))
        {
            old = target + AtomicFile.TempMarker + "old-" + Path.GetRandomFileName().Replace(".", "");
            Directory.Move(target, old);
        }
        try { Directory.Move(staging, target); }
        catch (IOException) when (Directory.Exists(target)) { } // a concurrent build put the same sources there first
        if (old is not null) Directory.Delete(old, recursive: true); // removes the links, never their targets
    }

    /// <summary>
    /// The worker's dependency manifest without native assets: the host would refuse to start over a
    /// missing native before the worker could report it, and the natives are found next to the worker
    /// anyway (the application folder is always probed).
    /// </summary>
    public static string ManagedOnlyDeps(string depsJson)
    {
        var root = JsonNode.Parse(depsJson)!;
        if (root["targets"] is JsonObject targets)
            foreach (var (_, target) in targets)
                if (target is JsonObject libs)
                    foreach (var (_, lib) in libs)
                        if (lib is JsonObject entry) { entry.Remove("native"); entry.Remove("runtimeTargets"); }
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    Diagnostic Error(string code, string message) => Diagnostic.Error(code, ProjectFile, 0, 0, message);
}
