using System.Globalization;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.Segments;

/// <summary>
/// Raw test videos whose every frame shows its own index: 16 bits as black or white blocks
/// (8 columns x 2 rows; bit b at column b%8, row b/8), so a test can read back which source
/// frame each output frame is, even through scaling and lossy encoding.
/// </summary>
public static class CounterVideo
{
    /// <summary>Writes <paramref name="frames"/> frames at <paramref name="fps"/> (e.g. "25" or "30000/1001"), lossless ffv1 unless the path says .mp4.</summary>
    public static void Make(string path, int frames, string fps = "25", int width = 128, int height = 96)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        int bw = width / 8, bh = height / 2;
        string geq = $"geq=lum='16+219*mod(floor(N/pow(2,floor(X/{bw})+8*floor(Y/{bh}))),2)':cb=128:cr=128";
        string[] codec = path.EndsWith(".mp4", StringComparison.Ordinal) ? ["-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p"] : ["-c:v", "ffv1"];
        var r = Repo.Ffmpeg(new[] { "-f", "lavfi", "-i", $"nullsrc=s={width}x{height}:r={fps}", "-vf", "format=yuv420p," + geq,
            "-frames:v", frames.ToString(CultureInfo.InvariantCulture) }.Concat(codec).Append(path).ToArray());
        if (r.ExitCode != 0) throw new InvalidOperationException("ffmpeg failed: " + r);
    }

    /// <summary>The index shown by every frame of a video whose frames are <paramref name="width"/>x<paramref name="height"/>.</summary>
    public static List<int> Read(string path, int width, int height)
    {
        int bw = width / 8, bh = height / 2;
        return Frames(path, width, height).Select(frame =>
        {
            int value = 0;
            for (int bit = 0; bit < 16; bit++)
                if (frame[((bit / 8) * bh + bh / 2) * width + (bit % 8) * bw + bw / 2] > 128) value |= 1 << bit;
            return value;
        }).ToList();
    }

    /// <summary>Every frame of a video as 8-bit luma, <paramref name="width"/>x<paramref name="height"/>.</summary>
    public static List<byte[]> Frames(string path, int width, int height)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "-v", "error", "-i", path, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-" }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        using var ms = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(ms);
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException("ffmpeg failed: " + err.Result);
        byte[] bytes = ms.ToArray();
        int frameBytes = width * height;
        var frames = new List<byte[]>();
        for (int f = 0; f + frameBytes <= bytes.Length; f += frameBytes) frames.Add(bytes[f..(f + frameBytes)]);
        return frames;
    }

    /// <summary>(frames, fps, width, height) of a video's first stream, as ffprobe reports them.</summary>
    public static (int Frames, string Fps, int Width, int Height) Probe(string path)
    {
        var r = Repo.Run("ffprobe", new[] { "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames,r_frame_rate,width,height", "-of", "csv=p=0:nk=0", path });
        if (r.ExitCode != 0) throw new InvalidOperationException(r.ToString());
        var kv = r.Output.Trim().Split(',').Select(x => x.Split('=')).ToDictionary(x => x[0], x => x[1]);
        return (int.Parse(kv["nb_read_frames"]), kv["r_frame_rate"], int.Parse(kv["width"]), int.Parse(kv["height"]));
    }
}
