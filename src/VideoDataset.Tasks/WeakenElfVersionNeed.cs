// Makes TorchSharp 0.107's libLibTorchSharp.so load on systems whose libstdc++ predates GCC 13.
// The library asks for GLIBCXX_3.4.32 only for the marker symbol _ZSt21ios_base_library_initv,
// which nothing relocates; marking that one version requirement weak (VER_FLG_WEAK) turns the
// loader's hard failure into nothing. The patch is applied to a copy, never to the NuGet cache.
// The repository's own worker build (eng/TorchSharpNative.targets) and the package's worker
// assembly (build/VideoDataset.Worker.targets) both use this task.
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using VideoDataset.Core.IO;
using VideoDataset.Core.Native;

namespace VideoDataset.Tasks;

public sealed class WeakenElfVersionNeed : Microsoft.Build.Utilities.Task
{
    /// <summary>The library to patch (left untouched).</summary>
    [Required] public string Source { get; set; } = "";
    /// <summary>Where the patched copy goes when a patch is needed.</summary>
    [Required] public string Destination { get; set; } = "";
    /// <summary>The version requirement to make weak.</summary>
    [Required] public string Version { get; set; } = "";
    /// <summary>System libstdc++ candidates; the first that exists decides whether a patch is needed.</summary>
    public string[] SystemLibraries { get; set; } = ElfVersionNeed.DefaultSystemLibraries;

    /// <summary>True when Destination holds a patched copy to use instead of Source.</summary>
    [Output] public bool Patched { get; set; }

    public override bool Execute()
    {
        try
        {
            if (ElfVersionNeed.SystemProvides(SystemLibraries, Version))
            {
                Log.LogMessage(MessageImportance.Low, $"The system libstdc++ provides {Version}; {Source} is used as it is.");
                return true;
            }
            byte[] elf = File.ReadAllBytes(Source);
            int changed = ElfVersionNeed.MarkWeak(elf, Version);
            if (changed == 0)
            {
                Log.LogMessage(MessageImportance.Low, $"{Source} does not require {Version}; used as it is.");
                return true;
            }
            Patched = true;
            // Incremental: a current copy keeps its timestamp. A symbolic link at Destination (an older
            // layout) is replaced by a file, never written through into the NuGet cache.
            var existing = new FileInfo(Destination);
            if (existing.Exists && existing.LinkTarget is null && File.ReadAllBytes(Destination).AsSpan().SequenceEqual(elf)) return true;
            if (existing.LinkTarget is not null) existing.Delete();
            AtomicFile.WriteAllBytes(Destination, elf);
            Log.LogMessage(MessageImportance.Normal, $"Marked {Version} weak in a copy of {Path.GetFileName(Source)}: {Destination}");
            return true;
        }
        catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
        {
            Log.LogError(null, "VDS0901", null, Source, 0, 0, 0, 0, "Could not patch the native library: {0}", e.Message);
            return false;
        }
    }
}
