using System.Diagnostics;

namespace VideoDataset.Tests.Vae;

/// <summary>Temporary folders, external tools and the tiny model for the VAE tests.</summary>
internal static class VaeTestSupport
{
    static readonly Lazy<string> TinyDir = new(() =>
    {
        string dir = NewTempDir("tinyvae");
        VideoDataset.Core.Models.Vae.TinyVae.Write(dir);
        return dir;
    });

    /// <summary>One tiny VAE folder shared by the tests of this run (written once).</summary>
    public static string TinyVaeDir => TinyDir.Value;

    public static string NewTempDir(string tag)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"vds-{tag}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static string PythonDir
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "tests", "VideoDataset.Tests", "python");
                if (Directory.Exists(candidate)) return candidate;
            }
            throw new DirectoryNotFoundException("tests/VideoDataset.Tests/python not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Runs a tool to completion; fails the test on a non-zero exit code.</summary>
    public static string Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) Assert.Fail($"{tool} {string.Join(' ', args)} exited with {p.ExitCode}: {err.Result}");
        return stdout;
    }

    /// <summary>An ffv1 (lossless) clip of ffmpeg's testsrc2 pattern: decoding gives back exactly what was encoded.</summary>
    public static string MakeClip(string dir, string name, int width, int height, int fps, int frames)
    {
        string path = Path.Combine(dir, name);
        Run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", $"testsrc2=size={width}x{height}:rate={fps}",
            "-frames:v", frames.ToString(), "-c:v", "ffv1", "-pix_fmt", "yuv444p", path);
        return path;
    }

    /// <summary>All rgb24 frames of a video, decoded by a separate ffmpeg run into memory.</summary>
    public static byte[] DecodeAll(string path)
    {
        string raw = Path.Combine(Path.GetDirectoryName(path)!, Path.GetFileNameWithoutExtension(path) + ".rgb");
        Run("ffmpeg", "-v", "error", "-y", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", raw);
        return File.ReadAllBytes(raw);
    }
}
