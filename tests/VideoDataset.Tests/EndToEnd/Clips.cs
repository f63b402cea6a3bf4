using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.EndToEnd;

/// <summary>Small real clips made with ffmpeg (64x48 at 16 fps), with motion.</summary>
public static class Clips
{
    public const int Width = 64, Height = 48;

    public static readonly string[] Sources =
    {
        "testsrc2=size=64x48:rate=16", "mandelbrot=size=64x48:rate=16", "testsrc=size=64x48:rate=16",
        "life=size=64x48:rate=16:seed=5:mold=10", "rgbtestsrc=size=64x48:rate=16,hue=H=2*PI*t",
    };

    /// <summary>Writes a clip of <paramref name="frames"/> frames (49 for 3 s, 145 for 9 s).</summary>
    public static void Make(string path, int frames, int source = 0, int fps = 16, string size = "64x48")
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string src = Sources[source % Sources.Length].Replace("64x48", size).Replace("rate=16", $"rate={fps}");
        var r = Repo.Ffmpeg("-f", "lavfi", "-i", src, "-frames:v", frames.ToString(), "-c:v", "libx264", "-preset", "ultrafast",
            "-pix_fmt", "yuv420p", "-r", fps.ToString(), "-an", path);
        if (r.ExitCode != 0) throw new InvalidOperationException("ffmpeg failed: " + r);
    }

    /// <summary>A dataset of two 3-s clips and one 9-s clip with scene changes, annotated.</summary>
    public static DatasetProject SmallDataset(string name)
    {
        var p = new DatasetProject(name);
        p.Properties["FrameWidth"] = Width.ToString();
        p.Properties["FrameHeight"] = Height.ToString();
        p.WriteProject();
        Make(Path.Combine(p.EpisodeDir, "ep01/a.mp4"), 49, 0);
        Make(Path.Combine(p.EpisodeDir, "ep01/b.mp4"), 49, 1);
        Make(Path.Combine(p.EpisodeDir, "ep02/c.mp4"), 145, 2);
        File.WriteAllText(p.AnnotationFile, string.Join("\n", AnnotationLines) + "\n");
        return p;
    }

    public static readonly string[] AnnotationLines =
    {
        """{"video": "ep01/a.mp4", "scene_start": [true], "scene_end": [true], "text_0": "Bars scroll left."}""",
        """{"video": "ep01/b.mp4", "scene_start": [true], "scene_end": [false], "text_0": "A fractal zooms in."}""",
        """{"video": "ep02/c.mp4", "scene_start": [true, false, true], "scene_end": [false, true, true], "text_0": "A clock face turns.", "text_1": "The clock keeps turning.", "text_2": "Bars scroll left."}""",
    };
}
