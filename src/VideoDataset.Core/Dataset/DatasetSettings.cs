using System.Globalization;
using System.Reflection;

namespace VideoDataset.Core.Dataset;

/// <summary>
/// The build's properties (DESIGN §5 and the segment stage's), one model from the targets to the
/// worker: each property is named exactly as the MSBuild property it comes from, and the worker's
/// request carries this record as it is. There are no defaults here: build/VideoDataset.props
/// holds them all. <see cref="MakeAbsolute"/> is the one place where paths become absolute.
/// </summary>
public sealed record DatasetSettings
{
    public required string EpisodeDir { get; init; }
    public required string AnnotationFile { get; init; }
    public required string DatasetDir { get; init; }
    /// <summary>A diffusers CogVideoX snapshot (vae/, text_encoder/, tokenizer/), or "tiny".</summary>
    public string ModelDir { get; init; } = "";
    /// <summary>The VAE folder; after <see cref="MakeAbsolute"/> it is set whenever a model is named.</summary>
    public string VaeModelDir { get; init; } = "";
    /// <summary>The T5 encoder folder; after <see cref="MakeAbsolute"/> it is set whenever a model is named.</summary>
    public string T5ModelDir { get; init; } = "";
    /// <summary>The tokenizer folder; after <see cref="MakeAbsolute"/> it is set whenever a model is named.</summary>
    public string TokenizerDir { get; init; } = "";
    public required int Fps { get; init; }
    public required int SegmentSeconds { get; init; }
    public required int FrameWidth { get; init; }
    public required int FrameHeight { get; init; }
    public required int VaeChunkFrames { get; init; }
    public required int TextMaxLength { get; init; }
    public required int TextBatchSize { get; init; }
    /// <summary>auto, cpu, cuda or cuda:N as set; the plan resolves it (<see cref="Worker.ComputeDevice"/>) before any key or request uses it.</summary>
    public required string TorchDevice { get; init; }
    /// <summary>True when the worker was built with -p:VideoDatasetCuda=true (TorchSharp-cuda-linux).</summary>
    public bool VideoDatasetCuda { get; init; }
    /// <summary>The build's private folder (obj/VideoDataset/): caches, requests, the tiny models.</summary>
    public required string VideoDatasetIntermediateDir { get; init; }

    /// <summary>The segment stage runs only when this is set.</summary>
    public string SceneFile { get; init; } = "";
    public string RawEpisodeDir { get; init; } = "";
    public string CaptionFile { get; init; } = "";
    /// <summary>Sequence lengths in seconds, e.g. "3;9;18;30;63" (checked by the segment stage).</summary>
    public string SequenceSeconds { get; init; } = "";

    /// <summary>This build is shard ShardIndex of ShardCount (DESIGN §8); 0 of 1 is the whole dataset (and the final step).</summary>
    public int ShardIndex { get; init; }
    public int ShardCount { get; init; } = 1;

    public Shard Shard => new(ShardIndex, ShardCount);

    /// <summary>
    /// Where this build keeps its own state (stamp caches, request files): the intermediate folder for
    /// the whole dataset, a folder per shard below it otherwise, so shards that share a project
    /// folder on a shared filesystem never write one common file.
    /// </summary>
    /// <summary>
    /// The annotations the plan reads: AnnotationFile, except for a shard with the segment stage,
    /// which writes no annotation file (the final step does) and plans from its private copy of what
    /// the scene and caption files give, in its <see cref="StateDir"/>.
    /// </summary>
    public string AnnotationSource => Shard.IsPart && HasSegmentStage ? Path.Combine(StateDir, "annotations.jsonl") : AnnotationFile;

    public string StateDir => Shard.IsPart ? Path.Combine(VideoDatasetIntermediateDir, Shard.StateFolderName) : VideoDatasetIntermediateDir;

    public const string TinyModelName = "tiny";

    public bool UsesTinyModel => string.Equals(ModelDir, TinyModelName, StringComparison.OrdinalIgnoreCase);

    public bool HasSegmentStage => SceneFile.Trim() != "";

    /// <summary>Where ModelDir=tiny models are built on first use (versioned, so a new generator builds anew).</summary>
    public string TinyModelRoot => Path.Combine(VideoDatasetIntermediateDir, "tiny-model", "v1");

    /// <summary>
    /// Every path made absolute against the project folder (folders end with a separator), and the
    /// three model folders filled in from ModelDir where they are not set themselves.
    /// </summary>
    public DatasetSettings MakeAbsolute(string projectDirectory)
    {
        string File(string p) => p.Trim() == "" ? "" : Path.GetFullPath(Path.Combine(projectDirectory, p));
        string Dir(string p) => p.Trim() == "" ? "" : Path.TrimEndingDirectorySeparator(File(p)) + Path.DirectorySeparatorChar;
        var s = this with
        {
            EpisodeDir = Dir(EpisodeDir), AnnotationFile = File(AnnotationFile), DatasetDir = Dir(DatasetDir),
            VideoDatasetIntermediateDir = Dir(VideoDatasetIntermediateDir),
            ModelDir = UsesTinyModel ? TinyModelName : Dir(ModelDir),
            VaeModelDir = Dir(VaeModelDir), T5ModelDir = Dir(T5ModelDir), TokenizerDir = Dir(TokenizerDir),
            RawEpisodeDir = Dir(RawEpisodeDir), SceneFile = File(SceneFile), CaptionFile = File(CaptionFile),
        };
        string root = s.UsesTinyModel ? s.TinyModelRoot : s.ModelDir;
        string Sub(string set, string sub) => set != "" ? set : root != "" ? Dir(Path.Combine(root, sub)) : "";
        return s with
        {
            VaeModelDir = Sub(s.VaeModelDir, "vae"), T5ModelDir = Sub(s.T5ModelDir, "text_encoder"), TokenizerDir = Sub(s.TokenizerDir, "tokenizer"),
        };
    }

    static readonly PropertyInfo[] Stored = typeof(DatasetSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite).ToArray();

    /// <summary>The names of the settings: the MSBuild properties they come from.</summary>
    public static IEnumerable<PropertyInfo> Properties => Stored;

    /// <summary>Each setting as text (invariant culture), named as its MSBuild property: the metadata of the build's settings item.</summary>
    public IEnumerable<KeyValuePair<string, string>> ToProperties() =>
        Stored.Select(p => new KeyValuePair<string, string>(p.Name, Convert.ToString(p.GetValue(this), CultureInfo.InvariantCulture) ?? ""));

    /// <summary>The settings back from <see cref="ToProperties"/> (as item metadata).</summary>
    public static DatasetSettings FromProperties(Func<string, string> get)
    {
        var s = (DatasetSettings)System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(typeof(DatasetSettings));
        foreach (var p in Stored)
        {
            string text = get(p.Name);
            object value = p.PropertyType == typeof(int) ? int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture)
                : p.PropertyType == typeof(bool) ? bool.Parse(text)
                : text;
            p.SetValue(s, value);
        }
        return s;
    }
}
