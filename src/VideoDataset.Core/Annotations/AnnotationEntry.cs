namespace VideoDataset.Core.Annotations;

/// <summary>One valid annotation line: a video and one text per 3-second segment (DESIGN §1).</summary>
public sealed record AnnotationEntry(
    int Line,
    string Video,            // relative to EpisodeDir, forward slashes, as written (normalised)
    string VideoPath,        // absolute path of the video
    IReadOnlyList<string> Texts,
    IReadOnlyList<bool> SceneStart,
    IReadOnlyList<bool> SceneEnd)
{
    public const string StartSceneToken = "<start_scene>";
    public const string EndSceneToken = "<end_scene>";

    public int Segments => Texts.Count;

    /// <summary>
    /// The video's size and last-write time as the reader's existence check found them (a plain
    /// file; null otherwise), so the content hash's cache needs no second stat. Not part of the
    /// entry's value.
    /// </summary>
    public (long Size, long Ticks)? VideoStamp { get; init; }

    public bool Equals(AnnotationEntry? other) =>
        other is not null && Line == other.Line && Video == other.Video && VideoPath == other.VideoPath
        && Texts.SequenceEqual(other.Texts) && SceneStart.SequenceEqual(other.SceneStart) && SceneEnd.SequenceEqual(other.SceneEnd);

    public override int GetHashCode() => HashCode.Combine(Line, Video, VideoPath);

    /// <summary>
    /// The string that is encoded for segment <paramref name="i"/>: the text with its scene tokens,
    /// concatenated with no spaces added (DESIGN §2).
    /// </summary>
    public string EncodedText(int i) =>
        (SceneStart[i] ? StartSceneToken : "") + Texts[i] + (SceneEnd[i] ? EndSceneToken : "");

    public IEnumerable<string> EncodedTexts() => Enumerable.Range(0, Segments).Select(EncodedText);

    /// <summary>The latent's path relative to DatasetDir: latents/&lt;video without extension&gt;.pt.</summary>
    public string LatentRelativePath => _latentRelativePath ??= LatentPathOf(Video); // asked by the reader and the plan: made once

    string? _latentRelativePath;

    static string LatentPathOf(string video)
    {
        int dot = video.LastIndexOf('.');
        int slash = video.LastIndexOf('/');
        string stem = dot > slash ? video[..dot] : video;
        return "latents/" + stem + ".pt";
    }
}
