using System.Runtime.InteropServices;
using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Worker;

/// <summary>
/// Loads the worker's own native model runtime before TorchSharp looks for one. libLibTorchSharp.so
/// must bind to the libtorch next to it: left to the system loader it can pick another libtorch (Debian's
/// python3-torch installs 1.13) and crash, and when TorchSharp's own load fails it copies about 500 MB
/// into the NuGet cache and aborts anyway. Loading both by full path from the worker's folder first
/// makes TorchSharp's later loads by name find these; a failure is reported here as a diagnostic.
/// </summary>
static class NativeRuntime
{
    /// <summary>Loaded first, in this order: libtorch (with its own dependencies) before the binding.</summary>
    static readonly string[] Libraries = ["libtorch.so", "libLibTorchSharp.so"];

    /// <summary>Null when the runtime is loaded (or is not ours to load off Linux); otherwise the exit code after the error was printed.</summary>
    public static int? Load()
    {
        if (!OperatingSystem.IsLinux()) return null; // only linux-x64 is shipped; elsewhere TorchSharp's own probing applies
        string folder = AppContext.BaseDirectory;
        foreach (string name in Libraries)
        {
            string path = Path.Combine(folder, name);
            string? problem = null;
            if (!Core.Worker.WorkerFolder.Resolves(path))
                problem = new FileInfo(path).LinkTarget is { } target ? $"it links to '{target}', which does not exist" : "it does not exist";
            else if (!NativeLibrary.TryLoad(path, out _))
                problem = "the loader refused it: " + LoaderError(path);
            if (problem is null) continue;
            Console.WriteLine(Diagnostic.Error("VDS0920", path, 0, 0,
                $"Could not load the worker's native model runtime: expected {name} in '{folder}' (libtorch and libLibTorchSharp.so side by side), but {problem}. " +
                "When the worker was assembled by a dataset build, restore and build again so it is assembled anew.").ToString());
            return 1;
        }
        return null;
    }

    // NativeLibrary.TryLoad drops dlerror's text; a second attempt through Load keeps it in the exception.
    static string LoaderError(string path)
    {
        try { NativeLibrary.Load(path); return "unknown error"; }
        catch (DllNotFoundException e) { return e.Message; }
        catch (BadImageFormatException e) { return e.Message; }
    }
}
