using VideoDataset.Core.Annotations;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.IO;
using VideoDataset.Core.Text;

namespace VideoDataset.Core.Report;

/// <summary>What the tokenizer makes of one segment's encoded string, against TextMaxLength.</summary>
public sealed record SegmentTokens(int Count, int MaxLength)
{
    /// <summary>Tokens removed by truncation (</s> is kept last, so the cut falls before it).</summary>
    public int Cut => Math.Max(0, Count - MaxLength);
    public bool Truncated => Cut > 0;
}

/// <summary>
/// Warnings for texts that build without error but lose something silently: a text cut by
/// TextMaxLength (possibly its &lt;end_scene&gt; token), an empty text, and a text repeated from the
/// previous segment of the same scene (a likely copy-paste). Shared by the build and the report.
/// </summary>
public static class AnnotationTextChecks
{
    public const string TextTruncated = DiagnosticCodes.TextTruncated;
    public const string TextEmpty = DiagnosticCodes.TextEmpty;
    public const string TextRepeated = DiagnosticCodes.TextRepeated;

    /// <summary>Token count of a segment's encoded string, scene tokens and &lt;/s&gt; included.</summary>
    public static SegmentTokens Tokens(T5Tokenizer tokenizer, string encoded, int maxLength) =>
        new(tokenizer.EncodeUnpadded(encoded).Length, maxLength);

    /// <summary>Every warning for the entries; with no tokenizer (a broken model folder) the length check is skipped.</summary>
    public static List<Diagnostic> Check(string annotationFile, IReadOnlyList<AnnotationEntry> entries, T5Tokenizer? tokenizer, int maxLength)
    {
        var diagnostics = new List<Diagnostic>();
        string file = Path.GetFullPath(annotationFile);
        var columns = TextColumns(file, entries);
        int endSceneId = tokenizer?.TokenToId(AnnotationEntry.EndSceneToken) ?? -1;
        foreach (var e in entries)
        {
            columns.TryGetValue(e.Line, out var cols);
            int Col(int i) => cols is not null && i < cols.Length ? cols[i] : 1;
            for (int i = 0; i < e.Segments; i++)
            {
                string text = e.Texts[i];
                if (string.IsNullOrWhiteSpace(text))
                    diagnostics.Add(Diagnostic.Warning(TextEmpty, file, e.Line, Col(i),
                        $"\"text_{i}\" of '{e.Video}' is {(text.Length == 0 ? "empty" : "only whitespace")}: expected a caption of segment {i}; the segment is trained on its scene tokens alone."));
                else if (i > 0 && !e.SceneStart[i] && !e.SceneEnd[i - 1] && text == e.Texts[i - 1])
                    diagnostics.Add(Diagnostic.Warning(TextRepeated, file, e.Line, Col(i),
                        $"\"text_{i}\" of '{e.Video}' repeats \"text_{i - 1}\" word for word inside one scene: expected a caption of its own (a copy-paste?)."));

                if (tokenizer is null) continue;
                string encoded = e.EncodedText(i);
                int[] ids = tokenizer.EncodeUnpadded(encoded);
                if (ids.Length <= maxLength) continue;
                int cut = ids.Length - maxLength;
                // Truncation keeps the first maxLength-1 ids and then </s>: the cut is ids[maxLength-1 .. ^1].
                bool endSceneLost = e.SceneEnd[i] && ids.AsSpan(maxLength - 1, cut).Contains(endSceneId);
                diagnostics.Add(Diagnostic.Warning(TextTruncated, file, e.Line, Col(i),
                    $"\"text_{i}\" of '{e.Video}' is {ids.Length} tokens with its scene tokens and </s>, more than TextMaxLength {maxLength}: the last {cut} tokens are cut" +
                    (endSceneLost ? ", including <end_scene>, so the model never sees this scene end." : ".")));
            }
        }
        return diagnostics;
    }

    /// <summary>The 1-based column of each text_i value, per line (the entries keep only the values).</summary>
    static Dictionary<int, int[]> TextColumns(string file, IReadOnlyList<AnnotationEntry> entries)
    {
        var result = new Dictionary<int, int[]>();
        if (entries.Count == 0 || !File.Exists(file)) return result;
        var wanted = entries.ToDictionary(e => e.Line, e => e.Segments);
        var ignored = new List<Diagnostic>(); // the reader of the build has reported them already
        var format = JsonLineFormat.OneCode("", DiagnosticCodes.AnnotationMalformedJson);
        try
        {
            foreach (var line in JsonLinesReader.Read(file, format, ignored))
            {
                if (!wanted.TryGetValue(line.Line, out int n)) continue;
                var cols = new int[n];
                for (int i = 0; i < n; i++) cols[i] = line.Find("text_" + i)?.Column ?? 1;
                result[line.Line] = cols;
            }
        }
        catch (IOException) { } // the file changed under us: columns default to 1
        return result;
    }
}

/// <summary>
/// The text warnings of the last check, remembered with what they were computed from (the
/// annotation file's content hash, the text recipe, which names the tokenizer, and TextMaxLength),
/// so a no-op build logs them again without loading the tokenizer or tokenizing anything.
/// </summary>
public static class TextCheckCache
{
    const string Version = "text-checks/1";

    public static List<Diagnostic> GetOrCheck(string cacheFile, string inputsKey, Func<List<Diagnostic>> check)
    {
        string header = Version + "\t" + inputsKey;
        if (File.Exists(cacheFile))
        {
            try
            {
                var lines = File.ReadAllLines(cacheFile);
                if (lines.Length > 0 && lines[0] == header)
                {
                    var cached = new List<Diagnostic>();
                    foreach (string line in lines.Skip(1))
                    {
                        var f = line.Split('\t', 5);
                        if (f.Length != 5) { cached = null; break; }
                        cached.Add(Diagnostic.Warning(f[0], f[1], int.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture),
                            int.Parse(f[3], System.Globalization.CultureInfo.InvariantCulture), f[4]));
                    }
                    if (cached is not null) return cached;
                }
            }
            catch (Exception e) when (e is IOException or FormatException) { }
        }
        var result = check();
        var sb = new System.Text.StringBuilder(header).Append('\n');
        // Messages are one line (tabs and newlines in a text are shown escaped by the message itself).
        foreach (var d in result)
            sb.Append(d.Code).Append('\t').Append(d.File).Append('\t').Append(d.Line).Append('\t').Append(d.Column).Append('\t')
              .Append(d.Message.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ')).Append('\n');
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(cacheFile)!);
            AtomicFile.WriteTextIfDifferent(cacheFile, sb.ToString());
        }
        catch (IOException) { } // a cache only
        return result;
    }
}
