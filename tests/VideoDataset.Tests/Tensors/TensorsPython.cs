using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace VideoDataset.Tests.Tensors;

/// <summary>Runs the python helpers of these tests with the system python and real PyTorch (never skipped: CI installs python3-torch).</summary>
internal static class TensorsPython
{
    const string Python = "/usr/bin/python3";

    static string PythonFolder([CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "python"));

    /// <summary>Runs a script and returns its standard output; fails the test when it exits non-zero.</summary>
    public static string Run(string script, params string[] args)
    {
        Assert.IsTrue(File.Exists(Python), $"{Python} is missing: install python3 and python3-torch");
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(PythonFolder(), script));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, $"{script} failed:\n{stdout}\n{stderr.Result}");
        return stdout;
    }
}

/// <summary>A temporary folder removed after the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("vds-tensors-").FullName;
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}
