namespace VideoDataset.Core.Dataset;

/// <summary>The build's properties (DESIGN §5), resolved to absolute paths.</summary>
public sealed record DatasetSettings
{
    public required string EpisodeDir { get; init; }
    public required string AnnotationFile { get; init; }
    public required string DatasetDir { get; init; }
    /// <summary>The build's private folder (obj/VideoDataset): caches, stamps, requests, the tiny models.</summary>
    public required string IntermediateDir { get; init; }
    public string ModelDir { get; init; } = "";
    public string VaeModelDir { get; init; } = "";
    public string T5ModelDir { get; init; } = "";
    public string TokenizerDir { get; init; } = "";
    public int Fps { get; init; } = 16;
    public int SegmentSeconds { get; init; } = 3;
    public int FrameWidth { get; init; } = 720;
    public int FrameHeight { get; init; } = 480;
    public int VaeChunkFrames { get; init; } = 16;
    public int TextMaxLength { get; init; } = 498;
    public string TorchDevice { get; init; } = "auto";
    public bool CudaBuild { get; init; }

    public const string TinyModelName = "tiny";

    public bool UsesTinyModel => string.Equals(ModelDir, TinyModelName, StringComparison.OrdinalIgnoreCase);

    /// <summary>Where ModelDir=tiny models are built on first use (versioned, so a new generator builds anew).</summary>
    public string TinyModelRoot => Path.Combine(IntermediateDir, "tiny-model", "v1");

    string ModelRoot => UsesTinyModel ? TinyModelRoot : ModelDir;

    string Sub(string explicitDir, string sub) =>
        explicitDir != "" ? Path.GetFullPath(explicitDir) : ModelRoot != "" ? Path.GetFullPath(Path.Combine(ModelRoot, sub)) : "";

    public string ResolvedVaeDir => Sub(VaeModelDir, "vae");
    public string ResolvedT5Dir => Sub(T5ModelDir, "text_encoder");
    public string ResolvedTokenizerDir => Sub(TokenizerDir, "tokenizer");
}
