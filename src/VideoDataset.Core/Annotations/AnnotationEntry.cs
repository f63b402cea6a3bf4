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
    /// The string that is encoded for segment <paramref name="i"/>: the text with its scene tokens,
    /// concatenated with no spaces added (DESIGN §2).
    /// </summary>
    public string EncodedText(int i) =>
        (SceneStart[i] ? StartSceneToken : "") + Texts[i] + (SceneEnd[i] ? EndSceneToken : "");

    public IEnumerable<string> EncodedTexts() => Enumerable.Range(0, Segments).Select(EncodedText);

    /// <summary>The latent's path relative to DatasetDir: latents/&lt;video without extension&gt;.pt.</summary>
    public string LatentRelativePath
    {
        get
        {
            int dot = Video.LastIndexOf('.');
            int slash = Video.LastIndexOf('/');
            string stem = dot > slash ? Video[..dot] : Video;
            return "latents/" + stem + ".pt";
        }
    }
}
