using System.Text;
using VideoDataset.Core.Annotations;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Models.T5;
using VideoDataset.Core.Models.Vae;
using VideoDataset.Core.Tensors;
using VideoDataset.Core.Text;
using VideoDataset.Core.Video;
using VideoDataset.Tests.EndToEnd;
using static TorchSharp.torch;

namespace VideoDataset.Tests.Reliability;

/// <summary>
/// What one bad input must produce: an error with <see cref="Code"/> at <see cref="File"/>(<see cref="Line"/>,<see cref="Column"/>),
/// or, when <see cref="Code"/> is null, acceptance checked by <see cref="Accepted"/>.
/// </summary>
public sealed record Trial(Func<IReadOnlyList<Diagnostic>> Act, string? Code, string File, int Line = 0, int Column = 0,
    Func<IReadOnlyList<Diagnostic>, string?>? Accepted = null);

public sealed record BadInput(string Area, string Name, Func<string, Trial> Arrange)
{
    public override string ToString() => $"{Area}: {Name}";
}

/// <summary>
/// The bad-input corpus of issue 6 item 4. Each case gets a fresh temporary folder, builds its bad
/// input there and names the error code and location it must produce. Unit level: the reader, probe,
/// loader or tokenizer that the build's stage calls, not a whole build.
/// </summary>
public static class BadInputCorpus
{
    public static readonly VideoSpec Spec = new(16, 3, Clips.Width, Clips.Height);

    const string Valid = """{"video": "ep/a.mp4", "scene_start": [true], "scene_end": [true], "text_0": "A valid line."}""";

    // ---------- annotations ----------

    /// <summary>episodes/ep/a.mp4 and b.mp4 (stand-ins: the reader only checks that they exist).</summary>
    static string Episodes(string dir)
    {
        string episodes = Path.Combine(dir, "episodes");
        Directory.CreateDirectory(Path.Combine(episodes, "ep"));
        File.WriteAllText(Path.Combine(episodes, "ep/a.mp4"), "a");
        File.WriteAllText(Path.Combine(episodes, "ep/b.mp4"), "b");
        return episodes;
    }

    static IReadOnlyList<Diagnostic> Read(string dir) =>
        AnnotationReader.Read(Path.Combine(dir, "annotations.jsonl"), Path.Combine(dir, "episodes")).Diagnostics;

    /// <summary>A file of the valid line then <paramref name="bad"/> on line 2; the error is expected at the first occurrence of <paramref name="at"/> (column 1 when null).</summary>
    static BadInput Line2(string name, string bad, string code, string? at = null, Action<string>? setup = null, int? column = null) =>
        new("annotations", name, dir =>
        {
            Episodes(dir);
            setup?.Invoke(dir);
            string file = Path.Combine(dir, "annotations.jsonl");
            File.WriteAllText(file, Valid + "\n" + bad + "\n");
            int col = column ?? (at is null ? 1 : bad.IndexOf(at, StringComparison.Ordinal) + 1);
            if (col == 0) throw new ArgumentException($"'{at}' is not in the line");
            return new Trial(() => Read(dir), code, file, 2, col);
        });

    static BadInput Bytes(string name, byte[] content, string? code, int line, int column, Func<AnnotationSet, string?>? accepted = null) =>
        new("annotations", name, dir =>
        {
            Episodes(dir);
            string file = Path.Combine(dir, "annotations.jsonl");
            File.WriteAllBytes(file, content);
            AnnotationSet? set = null;
            return new Trial(() => (set = AnnotationReader.Read(file, Path.Combine(dir, "episodes"))).Diagnostics, code, file, line, column,
                accepted is null ? null : _ => accepted(set!));
        });

    static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    static IEnumerable<BadInput> Annotations()
    {
        yield return Line2("missing comma", """{"video": "ep/b.mp4" "scene_start": [true], "scene_end": [true], "text_0": "x"}""", "VDS1001", "\"scene_start\"");
        yield return Line2("unterminated object", """{"video": "ep/b.mp4", "scene_start": [true]""", "VDS1001", column: 44); // the end of the line
        yield return Line2("trailing garbage", """{"video": "ep/b.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x"} 42""", "VDS1001", "42");
        yield return Line2("two objects on one line", """{"video": "ep/b.mp4"}{"video": "ep/b.mp4"}""", "VDS1001", column: 22); // the second '{' 
        yield return Line2("a comment", """{"video": "ep/b.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x"} // note""", "VDS1001", "//");
        yield return Line2("NaN literal", """{"video": "ep/b.mp4", "scene_start": [true], "scene_end": [true], "text_0": NaN}""", "VDS1001", "NaN");
        yield return Line2("single quotes", """{'video': 'ep/b.mp4'}""", "VDS1001", "'video'");
        yield return Line2("an array, not an object", """["ep/b.mp4", [true], [true], "x"]""", "VDS1002", "[");
        yield return Line2("null line", "null", "VDS1002", "null");
        yield return Line2("a bare string", "\"ep/b.mp4\"", "VDS1002", "\"");
        yield return Line2("video is a number", """{"video": 5, "scene_start": [true], "scene_end": [true], "text_0": "x"}""", "VDS1003", "5");
        yield return Line2("video is an object", """{"video": {"path": "ep/b.mp4"}, "scene_start": [true], "scene_end": [true], "text_0": "x"}""", "VDS1003", "{\"path\"");
        yield return Line2("video is empty", """{"video": "", "scene_start": [true], "scene_end": [true], "text_0": "x"}""", "VDS1003", "\"\"");
        yield return Line2("video key missing (wrong case)", """{"Video": "ep/b.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x"}""", "VDS1003");
        yield return Line2("video and mp4 differ", """{"video": "ep/b.mp4", "mp4": "ep/a.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x"}""", "VDS1003", "\"ep/a.mp4\"");
        yield return Line2("scene_start is a boolean", """{"video": "ep/b.mp4", "scene_start": true, "scene_end": [true], "text_0": "x"}""", "VDS1004", "true,");
        yield return Line2("scene_start holds a string", """{"video": "ep/b.mp4", "scene_start": ["yes"], "scene_end": [true], "text_0": "x"}""", "VDS1004", "[\"yes\"]");
        yield return Line2("scene_end holds numbers", """{"video": "ep/b.mp4", "scene_start": [true], "scene_end": [1], "text_0": "x"}""", "VDS1004", "[1]");
        yield return Line2("scene_end missing", """{"video": "ep/b.mp4", "scene_start": [true], "text_0": "x"}""", "VDS1004");
        yield return Line2("flag lengths differ", """{"video": "ep/b.mp4", "scene_start": [true, false], "scene_end": [true], "text_0": "x", "text_1": "y"}""", "VDS1005", "[true],");
        yield return Line2("no segments", """{"video": "ep/b.mp4", "scene_start": [], "scene_end": [], "text_0": "x"}""", "VDS1012", "[]");
        yield return Line2("a text missing", """{"video": "ep/b.mp4", "scene_start": [true, false], "scene_end": [false, true], "text_0": "x"}""", "VDS1006");
        yield return Line2("an extra text", """{"video": "ep/b.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x", "text_1": "y"}""", "VDS1007", "\"text_1\"");
        yield return Line2("text is a number", """{"video": "ep/b.mp4", "scene_start": [true], "scene_end": [true], "text_0": 7}""", "VDS1017", "7}");
        yield return Line2("text is null", """{"video": "ep/b.mp4", "scene_start": [true], "scene_end": [true], "text_0": null}""", "VDS1017", "null");
        yield return Line2("text key with a leading zero", """{"video": "ep/b.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x", "text_00": "y"}""", "VDS1017", "\"text_00\"");
        yield return Line2("text with an unpaired surrogate escape", """{"video": "ep/b.mp4", "scene_start": [true], "scene_end": [true], "text_0": "bad \ud800 text"}""", "VDS1001", "\"bad");
        yield return Line2("key with an unpaired surrogate escape", """{"video": "ep/b.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x", "\udc00": 1}""", "VDS1001", "\"\\udc00\"");
        yield return Line2("duplicate key", """{"video": "ep/b.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x", "video": "ep/a.mp4"}""", "VDS1016", "\"video\": \"ep/a");
        yield return Line2("video not found", """{"video": "ep/missing.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x"}""", "VDS1008", "\"ep/missing.mp4\"");
        yield return Line2("video annotated twice", Valid, "VDS1009");
        yield return Line2("two videos write one latent", """{"video": "ep/a.mkv", "scene_start": [true], "scene_end": [true], "text_0": "x"}""", "VDS1015", null,
            dir => File.WriteAllText(Path.Combine(dir, "episodes/ep/a.mkv"), "a"));
        yield return Line2("path with ..", """{"video": "../outside.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x"}""", "VDS1010", "\"../",
            dir => File.WriteAllText(Path.Combine(dir, "outside.mp4"), "o"));
        yield return Line2("path with .. in the middle", """{"video": "ep/../../outside.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x"}""", "VDS1010", "\"ep/..",
            dir => File.WriteAllText(Path.Combine(dir, "outside.mp4"), "o"));
        yield return Line2("absolute path", """{"video": "/etc/hostname", "scene_start": [true], "scene_end": [true], "text_0": "x"}""", "VDS1010", "\"/etc");
        yield return Line2("Windows drive path", """{"video": "C:\\videos\\a.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x"}""", "VDS1010", "\"C:");
        yield return Line2("NUL in the path", """{"video": "ep/a\u0000.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x"}""", "VDS1010", "\"ep/a\\u0000");
        yield return Line2("symbolic link to a file outside EpisodeDir", """{"video": "ep/link.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x"}""", "VDS1010", "\"ep/link",
            dir =>
            {
                File.WriteAllText(Path.Combine(dir, "secret.mp4"), "s");
                File.CreateSymbolicLink(Path.Combine(dir, "episodes/ep/link.mp4"), Path.Combine(dir, "secret.mp4"));
            });
        yield return Line2("symbolic link to a folder outside EpisodeDir", """{"video": "out/v.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x"}""", "VDS1010", "\"out/v",
            dir =>
            {
                Directory.CreateDirectory(Path.Combine(dir, "elsewhere"));
                File.WriteAllText(Path.Combine(dir, "elsewhere/v.mp4"), "v");
                Directory.CreateSymbolicLink(Path.Combine(dir, "episodes/out"), Path.Combine(dir, "elsewhere"));
            });
        yield return Line2("relative symbolic link climbing out", """{"video": "ep/up.mp4", "scene_start": [true], "scene_end": [true], "text_0": "x"}""", "VDS1010", "\"ep/up",
            dir =>
            {
                File.WriteAllText(Path.Combine(dir, "secret.mp4"), "s");
                File.CreateSymbolicLink(Path.Combine(dir, "episodes/ep/up.mp4"), "../../secret.mp4");
            });

        // Byte-level cases.
        const string prefix = "{\"video\": \"ep/b.mp4\", \"scene_start\": [true], \"scene_end\": [true], \"text_0\": \"";
        byte[] invalid = [.. Utf8(Valid + "\n" + prefix + "caf"), 0xC3, 0x28, .. Utf8("\"}\n")];
        yield return Bytes("invalid UTF-8 (bad continuation byte)", invalid, "VDS1013", 2, prefix.Length + 4);
        byte[] overlong = [.. Utf8(Valid + "\n{\"video\": \"ep/b"), 0xC0, 0xAF, .. Utf8(".mp4\", \"scene_start\": [true], \"scene_end\": [true], \"text_0\": \"x\"}\n")];
        yield return Bytes("invalid UTF-8 (overlong slash)", overlong, "VDS1013", 2, 16);
        yield return Bytes("Latin-1 file", [.. Utf8(Valid + "\n" + prefix + "na"), 0xEF, .. Utf8("ve\"}\n")], "VDS1013", 2, prefix.Length + 3);
        yield return Bytes("UTF-8 BOM is accepted", [0xEF, 0xBB, 0xBF, .. Utf8(Valid + "\n")], null, 0, 0,
            s => s.Entries.Count == 1 && s.Entries[0].Video == "ep/a.mp4" ? null : "the line after the BOM was not read");
        yield return Bytes("a BOM in the middle is malformed JSON", [.. Utf8(Valid + "\n"), 0xEF, 0xBB, 0xBF, .. Utf8(Valid.Replace("a.mp4", "b.mp4") + "\n")], "VDS1001", 2, 1);
        yield return Bytes("CRLF line ends are accepted", Utf8(Valid + "\r\n" + Valid.Replace("a.mp4", "b.mp4") + "\r\n"), null, 0, 0,
            s => s.Entries.Count == 2 && s.Entries[1].Texts[0] == "A valid line." ? null : "CRLF lines were not read as two entries");
        yield return Bytes("CRLF keeps line numbers", Utf8(Valid + "\r\n\r\n{\"video\": 1}\r\n"), "VDS1003", 3, 11);
        string huge = new string('w', 4_000_000);
        yield return Bytes("huge valid line (4 MB text) is accepted", Utf8(Valid.Replace("A valid line.", huge) + "\n"), null, 0, 0,
            s => s.Entries.Count == 1 && s.Entries[0].Texts[0].Length == huge.Length ? null : "the huge text was not read whole");
        const string open = "{\"video\": \"ep/b.mp4\", \"text_0\": \"";
        yield return Bytes("huge unterminated line (4 MB)", Utf8(Valid + "\n" + open + huge + "\n"), "VDS1001", 2, open.Length + huge.Length + 1); // its end
        yield return Bytes("empty file", [], null, 0, 0, s => s.Entries.Count == 0 ? null : "entries from an empty file");
        yield return new BadInput("annotations", "annotation file missing", dir =>
        {
            Episodes(dir);
            string file = Path.Combine(dir, "annotations.jsonl");
            return new Trial(() => Read(dir), "VDS1014", file);
        });
    }

    // ---------- videos ----------

    static BadInput Video(string name, string? code, Action<string> make, string file = "v.mp4") => new("videos", name, dir =>
    {
        string path = Path.Combine(dir, file);
        make(path);
        return new Trial(() =>
        {
            var probe = VideoProbe.Probe(path);
            return VideoConformance.Check(probe, Spec);
        }, code, path, Accepted: _ => null);
    });

    static void Ffmpeg(params string[] args)
    {
        var r = Support.Repo.Ffmpeg(args);
        if (r.ExitCode != 0) throw new InvalidOperationException("ffmpeg failed while making a case: " + r);
    }

    static IEnumerable<BadInput> Videos()
    {
        yield return Video("missing file", "VDS2001", _ => { });
        yield return Video("empty file", "VDS2001", p => File.WriteAllBytes(p, []));
        yield return Video("not a video (text)", "VDS2001", p => File.WriteAllText(p, "this is not a video\n"));
        yield return Video("random bytes", "VDS2001", p => File.WriteAllBytes(p, Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251)).ToArray()));
        yield return Video("truncated mp4 (index at the end cut off)", "VDS2001", p =>
        {
            string full = p + ".full.mp4";
            Clips.Make(full, 49);
            byte[] bytes = File.ReadAllBytes(full);
            File.WriteAllBytes(p, bytes[..(bytes.Length / 2)]);
        });
        yield return Video("truncated streamable mp4 (frames cut off)", "VDS2005", p =>
        {
            string full = p + ".full.mp4";
            Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=16", "-frames:v", "49", "-c:v", "libx264", "-preset", "ultrafast",
                "-pix_fmt", "yuv420p", "-movflags", "+faststart", full);
            byte[] bytes = File.ReadAllBytes(full);
            File.WriteAllBytes(p, bytes[..(bytes.Length * 2 / 3)]);
        });
        yield return Video("wrong frame rate (25 fps)", "VDS2003", p => Clips.Make(p, 76, fps: 25));
        yield return Video("wrong frame rate (NTSC 30000/1001)", "VDS2003", p =>
            Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=30000/1001", "-frames:v", "91", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", p));
        yield return Video("wrong frame size", "VDS2004", p => Clips.Make(p, 49, size: "80x48"));
        yield return Video("wrong frame count (40)", "VDS2005", p => Clips.Make(p, 40));
        yield return Video("a single frame", "VDS2005", p => Clips.Make(p, 1));
        yield return Video("variable frame rate", "VDS2003", p =>
            // 49 frames whose timestamps jump after frame 24: not a constant 16 fps stream.
            Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=16", "-frames:v", "49", "-vf", "setpts='if(lt(N,24),N,N*2)/(16*TB)'",
                "-fps_mode", "passthrough", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", p));
        // Constant-rate clips whose containers round timestamps must not look variable.
        yield return Video("constant 16 fps in Matroska is accepted", null, p => Clips.Make(p, 49), "v.mkv");
        yield return Video("constant 16 fps in WebM (VP9) is accepted", null, p =>
            Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=16", "-frames:v", "49", "-c:v", "libvpx-vp9", "-deadline", "realtime", p), "v.webm");
        yield return Video("constant 16 fps, 9 s, in MPEG-TS is accepted", null, p => Clips.Make(p, 145), "v.ts");
        yield return Video("audio only (AAC in mp4)", "VDS2002", p =>
            Ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-c:a", "aac", p));
        yield return Video("audio only (WAV named .mp4)", "VDS2002", p =>
            Ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-f", "wav", p));
        yield return Video("no stream at all (metadata only)", "VDS2001", p =>
            File.WriteAllBytes(p, [0, 0, 0, 0x18, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'i', (byte)'s', (byte)'o', (byte)'m', 0, 0, 2, 0,
                (byte)'i', (byte)'s', (byte)'o', (byte)'m', (byte)'i', (byte)'s', (byte)'o', (byte)'2']));
    }

    // ---------- model folders ----------

    static readonly Lazy<string> TinyVae = new(() => { string d = Temp("tiny-vae"); Core.Models.Vae.TinyVae.Write(d); return d; });
    static readonly Lazy<string> TinyT5Dir = new(() => { string d = Temp("tiny-t5"); TinyT5.Write(d); return d; });

    /// <summary>Removes the shared tiny model folders, if this run made them.</summary>
    public static void Cleanup()
    {
        foreach (var dir in new[] { TinyVae, TinyT5Dir })
            if (dir.IsValueCreated && Directory.Exists(dir.Value)) Directory.Delete(dir.Value, recursive: true);
    }

    static string Temp(string tag)
    {
        string d = Path.Combine(Path.GetTempPath(), "vds-rel", tag + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(d);
        return d;
    }

    static List<(string Name, TensorData Tensor)> Tensors(string file)
    {
        var f = SafetensorsFile.Open(file);
        return f.Entries.Keys.Select(k => (k, f.Read(k))).ToList();
    }

    static IReadOnlyList<Diagnostic> LoadVae(string dir)
    {
        using var encoder = VaeLoader.LoadEncoder(dir, CPU, ScalarType.Float32);
        return [];
    }

    static IReadOnlyList<Diagnostic> LoadT5(string dir)
    {
        using var model = T5EncoderModel.Load(dir, CPU, ScalarType.Float32);
        return [];
    }

    /// <summary>A copy of the tiny VAE folder, changed by <paramref name="change"/>; the error is expected on <paramref name="file"/> (relative).</summary>
    static BadInput Vae(string name, string code, string file, Action<string> change, int line = 0, int column = 0) => new("model folders", "VAE: " + name, dir =>
    {
        foreach (string f in Directory.GetFiles(TinyVae.Value)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        change(dir);
        return new Trial(() => LoadVae(dir), code, file == "" ? dir : Path.Combine(dir, file), line, column);
    });

    static BadInput T5(string name, string code, string file, Action<string> change) => new("model folders", "T5: " + name, dir =>
    {
        foreach (string f in Directory.GetFiles(TinyT5Dir.Value)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        change(dir);
        return new Trial(() => LoadT5(dir), code, file == "" ? dir : Path.Combine(dir, file));
    });

    static void Rewrite(string file, Func<List<(string Name, TensorData Tensor)>, IEnumerable<(string, TensorData)>> change)
    {
        var tensors = Tensors(file);
        SafetensorsFile.Write(file, change(tensors));
    }

    /// <summary>A safetensors file of one F32 tensor with a hand-written header.</summary>
    static byte[] RawSafetensors(byte[] header, long? declaredLength = null, int dataBytes = 16)
    {
        var bytes = new byte[8 + header.Length + dataBytes];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), declaredLength ?? header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    const string W = VaeLoader.WeightsFileName;

    static IEnumerable<BadInput> Models()
    {
        yield return Vae("config.json missing", "VDS4201", "config.json", d => File.Delete(Path.Combine(d, "config.json")));
        yield return Vae("config.json not JSON", "VDS4201", "config.json", d => File.WriteAllText(Path.Combine(d, "config.json"), "{ \"in_channels\": 3,"), 1, 19);
        yield return Vae("config field of the wrong type", "VDS4202", "config.json", d =>
            File.WriteAllText(Path.Combine(d, "config.json"), File.ReadAllText(Path.Combine(d, "config.json")).Replace("\"latent_channels\": 16", "\"latent_channels\": \"16\"")));
        yield return Vae("weights missing", "VDS4120", "", d => File.Delete(Path.Combine(d, W)));
        yield return Vae("only a pickle checkpoint (never unpickled)", "VDS4120", "", d =>
        {
            File.Delete(Path.Combine(d, W));
            File.WriteAllBytes(Path.Combine(d, "diffusion_pytorch_model.bin"), [0x80, 0x02, (byte)'c', (byte)'o', (byte)'s', (byte)'\n', (byte)'s', (byte)'y', (byte)'s', (byte)'t', (byte)'e', (byte)'m', (byte)'\n']);
        });
        yield return Vae("missing key", "VDS4204", W, d => Rewrite(Path.Combine(d, W), t => t.Where(x => x.Name != "encoder.conv_in.conv.weight")));
        yield return Vae("extra key", "VDS4204", W, d => Rewrite(Path.Combine(d, W), t => t.Append(("encoder.extra.weight", TensorData.FromFloat32([1f], [1], TensorDType.Float32)))));
        yield return Vae("mis-shaped key", "VDS4204", W, d => Rewrite(Path.Combine(d, W), t => t.Select(x => x.Name == "encoder.norm_out.weight"
            ? (x.Name, TensorData.FromFloat32(new float[3], [3], TensorDType.Float32)) : (x.Name, x.Tensor))));
        yield return Vae("truncated safetensors", "VDS4111", W, d =>
        {
            byte[] b = File.ReadAllBytes(Path.Combine(d, W));
            File.WriteAllBytes(Path.Combine(d, W), b[..(b.Length - 1000)]);
        });
        yield return Vae("header length larger than the file", "VDS4103", W, d =>
            File.WriteAllBytes(Path.Combine(d, W), RawSafetensors(Utf8("{}"), declaredLength: 1_000_000)));
        yield return Vae("negative header length", "VDS4103", W, d =>
            File.WriteAllBytes(Path.Combine(d, W), RawSafetensors(Utf8("{}"), declaredLength: -5)));
        yield return Vae("file shorter than 8 bytes", "VDS4102", W, d => File.WriteAllBytes(Path.Combine(d, W), [1, 2, 3]));
        yield return Vae("empty weights file", "VDS4102", W, d => File.WriteAllBytes(Path.Combine(d, W), []));
        yield return Vae("non-UTF-8 header", "VDS4104", W, d =>
            File.WriteAllBytes(Path.Combine(d, W), RawSafetensors([.. Utf8("{\"a"), 0xFF, .. Utf8("\": 1}")])));
        yield return Vae("header not JSON", "VDS4105", W, d => File.WriteAllBytes(Path.Combine(d, W), RawSafetensors(Utf8("{\"a\": "))));
        yield return Vae("header a JSON array", "VDS4105", W, d => File.WriteAllBytes(Path.Combine(d, W), RawSafetensors(Utf8("[1, 2]"))));
        yield return Vae("dtype not supported (I64)", "VDS4107", W, d => File.WriteAllBytes(Path.Combine(d, W),
            RawSafetensors(Utf8("{\"encoder.x\": {\"dtype\": \"I64\", \"shape\": [2], \"data_offsets\": [0, 16]}}"))));
        yield return Vae("data offsets do not match the shape", "VDS4109", W, d => File.WriteAllBytes(Path.Combine(d, W),
            RawSafetensors(Utf8("{\"encoder.x\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 16]}}"))));
        yield return Vae("overlapping tensors", "VDS4110", W, d => File.WriteAllBytes(Path.Combine(d, W),
            RawSafetensors(Utf8("{\"encoder.x\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"encoder.y\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}"))));
        yield return Vae("shape with a negative dimension", "VDS4106", W, d => File.WriteAllBytes(Path.Combine(d, W),
            RawSafetensors(Utf8("{\"encoder.x\": {\"dtype\": \"F32\", \"shape\": [-4], \"data_offsets\": [0, 16]}}"))));
        yield return Vae("shape overflowing 64 bits", "VDS4106", W, d => File.WriteAllBytes(Path.Combine(d, W),
            RawSafetensors(Utf8("{\"encoder.x\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296], \"data_offsets\": [0, 16]}}"))));
        yield return Vae("shard index naming a file outside the folder", "VDS4121", W + ".index.json", d =>
        {
            File.Move(Path.Combine(d, W), Path.Combine(Path.GetDirectoryName(d)!, Path.GetFileName(d) + "-outside.safetensors"));
            File.WriteAllText(Path.Combine(d, W + ".index.json"),
                $"{{\"weight_map\": {{\"encoder.conv_in.conv.weight\": \"../{Path.GetFileName(d)}-outside.safetensors\"}}}}");
        });
        yield return Vae("shard index naming a missing shard", "VDS4122", W + ".index.json", d =>
        {
            File.Delete(Path.Combine(d, W));
            File.WriteAllText(Path.Combine(d, W + ".index.json"), "{\"weight_map\": {\"encoder.conv_in.conv.weight\": \"part-1.safetensors\"}}");
        });

        yield return T5("config.json missing", "VDS4301", "config.json", d => File.Delete(Path.Combine(d, "config.json")));
        yield return T5("config.json not JSON", "VDS4301", "config.json", d => File.WriteAllText(Path.Combine(d, "config.json"), "d_model = 64"));
        yield return T5("unsupported activation", "VDS4303", "config.json", d =>
            File.WriteAllText(Path.Combine(d, "config.json"), System.Text.RegularExpressions.Regex.Replace(
                File.ReadAllText(Path.Combine(d, "config.json")), "\"dense_act_fn\":\\s*\"[^\"]*\"", "\"dense_act_fn\": \"swishy\"")));
        yield return T5("negative d_model", "VDS4302", "config.json", d =>
            File.WriteAllText(Path.Combine(d, "config.json"), System.Text.RegularExpressions.Regex.Replace(
                File.ReadAllText(Path.Combine(d, "config.json")), "\"d_model\":\\s*\\d+", "\"d_model\": -64")));
        yield return T5("weights missing", "VDS4120", "", d => File.Delete(Path.Combine(d, T5Checkpoint.WeightsFileName)));
        yield return T5("missing key", "VDS4312", T5Checkpoint.WeightsFileName, d =>
            Rewrite(Path.Combine(d, T5Checkpoint.WeightsFileName), t => t.Where(x => x.Name != "encoder.final_layer_norm.weight")));
        yield return T5("extra key", "VDS4312", T5Checkpoint.WeightsFileName, d =>
            Rewrite(Path.Combine(d, T5Checkpoint.WeightsFileName), t => t.Append(("encoder.block.9.extra", TensorData.FromFloat32([1f], [1], TensorDType.Float32)))));
        yield return T5("mis-shaped key", "VDS4312", T5Checkpoint.WeightsFileName, d =>
            Rewrite(Path.Combine(d, T5Checkpoint.WeightsFileName), t => t.Select(x => x.Name == "encoder.final_layer_norm.weight"
                ? (x.Name, TensorData.FromFloat32(new float[5], [5], TensorDType.Float32)) : (x.Name, x.Tensor))));
        yield return T5("truncated safetensors", "VDS4111", T5Checkpoint.WeightsFileName, d =>
        {
            string f = Path.Combine(d, T5Checkpoint.WeightsFileName);
            byte[] b = File.ReadAllBytes(f);
            File.WriteAllBytes(f, b[..(b.Length / 2)]);
        });
        yield return T5("dtype not supported (F64)", "VDS4107", T5Checkpoint.WeightsFileName, d => File.WriteAllBytes(Path.Combine(d, T5Checkpoint.WeightsFileName),
            RawSafetensors(Utf8("{\"shared.weight\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": [0, 16]}}"))));
    }

    // ---------- tokenizer ----------

    static BadInput Tokenizer(string name, string code, string file, Action<string> change, int line = 0, int column = 0) => new("tokenizer", name, dir =>
    {
        File.Copy(Text.TokenizerTestSupport.TinyModelPath, Path.Combine(dir, T5Tokenizer.ModelFile));
        change(dir);
        return new Trial(() => { T5Tokenizer.Load(dir); return []; }, code, Path.Combine(dir, file), line, column);
    });

    static IEnumerable<BadInput> Tokenizers()
    {
        const string M = T5Tokenizer.ModelFile;
        yield return Tokenizer("spiece.model missing", "VDS3101", M, d => File.Delete(Path.Combine(d, M)));
        yield return Tokenizer("spiece.model empty", "VDS3102", M, d => File.WriteAllBytes(Path.Combine(d, M), []));
        yield return Tokenizer("spiece.model random bytes", "VDS3102", M, d =>
            File.WriteAllBytes(Path.Combine(d, M), Enumerable.Range(0, 2048).Select(i => (byte)(i * 31 % 253)).ToArray()));
        yield return Tokenizer("spiece.model truncated", "VDS3102", M, d =>
        {
            byte[] b = File.ReadAllBytes(Path.Combine(d, M));
            File.WriteAllBytes(Path.Combine(d, M), b[..(b.Length / 3)]);
        });
        yield return Tokenizer("spiece.model is a pickle", "VDS3102", M, d =>
            File.WriteAllBytes(Path.Combine(d, M), [0x80, 0x04, 0x95, 0x10, 0, 0, 0, 0, 0, 0, 0, (byte)'c', (byte)'o', (byte)'s', (byte)'\n', (byte)'.']));
        yield return Tokenizer("tokenizer_config.json malformed", "VDS3103", "tokenizer_config.json", d =>
            File.WriteAllText(Path.Combine(d, "tokenizer_config.json"), "{\"eos_token\": "), 1, 15);
        yield return Tokenizer("special_tokens_map.json malformed", "VDS3104", "special_tokens_map.json", d =>
            File.WriteAllText(Path.Combine(d, "special_tokens_map.json"), "[1, 2"), 1, 6);
        yield return Tokenizer("added_tokens.json malformed", "VDS3105", "added_tokens.json", d =>
            File.WriteAllText(Path.Combine(d, "added_tokens.json"), "{\"<x>\": \"not an id\"}"));
    }

    public static IReadOnlyList<BadInput> All { get; } = [.. Annotations(), .. Videos(), .. Models(), .. Tokenizers()];
}
