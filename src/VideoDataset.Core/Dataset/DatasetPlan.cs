using VideoDataset.Core.Annotations;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.Staleness;
using VideoDataset.Core.Worker;

namespace VideoDataset.Core.Dataset;

/// <summary>
/// Everything a build should produce, decided from annotations, input content and recipes, without
/// loading a model. Tasks and verification share it, so they agree on what is fresh.
/// </summary>
public sealed class DatasetPlan
{
    /// <summary>The settings with TorchDevice resolved: what the keys record and what the worker is told to use.</summary>
    public required DatasetSettings Settings { get; init; }
    public required AnnotationSet Annotations { get; init; }
    public required IReadOnlyList<Diagnostic> Diagnostics { get; init; }
    public required string LatentRecipe { get; init; }
    public required string TextRecipe { get; init; }
    public required IReadOnlyList<PlannedLatent> Latents { get; init; }
    public required IReadOnlyList<PlannedText> Texts { get; init; }
    public required IReadOnlyList<PlannedManifest> Manifests { get; init; }
    /// <summary>Where planning spent its time, for the build log at detailed verbosity ("annotations 0.41 s, ...").</summary>
    public string Timings { get; init; } = "";

    public bool HasErrors => Diagnostics.Any(d => d.Severity == Severity.Error);

    /// <summary>False when a model folder is missing or the device is unusable: nothing can be encoded, only reported.</summary>
    public bool ModelsUsable => !Diagnostics.Any(d => d.Code is DiagnosticCodes.ModelFolderMissing or DiagnosticCodes.NoModelNamed or DiagnosticCodes.DeviceUnusable);

    /// <summary>The freshness decision for latents, made once per build: those that do not record their key now.</summary>
    public List<PlannedLatent> StaleLatents(FileStampCache outputKeys)
    {
        // One stat per latent, on both cores: the stats are most of a no-op build's time.
        var fresh = new bool[Latents.Count];
        Parallel.For(0, Latents.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(4, Environment.ProcessorCount) },
            i => fresh[i] = OutputState.IsFresh(Latents[i].OutputPath, Latents[i].Key, outputKeys));
        return Latents.Where((_, i) => !fresh[i]).ToList();
    }

    /// <summary>
    /// The freshness decision for text embeddings: content-addressed (the key is in the path), so a
    /// missing file is a stale one. The text folders are listed once instead of asking for each file
    /// (a few hundred folder reads instead of one stat per text); a file the listing did not show is
    /// asked for itself, so the answer is File.Exists's.
    /// </summary>
    public List<PlannedText> StaleTexts()
    {
        var listed = new HashSet<string>(StringComparer.Ordinal);
        string folder = Path.Combine(Settings.DatasetDir, "text");
        if (Texts.Count > 0 && Directory.Exists(folder))
            try { listed.UnionWith(Directory.EnumerateFiles(folder, "*.pt", SearchOption.AllDirectories)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { listed.Clear(); }
        return Texts.Where(t => !listed.Contains(t.OutputPath) && !File.Exists(t.OutputPath)).ToList();
    }

    public static string TextRelativePath(string key) => $"text/{key[..2]}/{key}.pt";

    /// <summary>Diagnostics about the model folders (a dataset that names no model is an error, DESIGN §3).</summary>
    public static List<Diagnostic> CheckModels(DatasetSettings s, string projectFile)
    {
        var problems = new List<Diagnostic>();
        if (s.VaeModelDir == "" || s.T5ModelDir == "" || s.TokenizerDir == "")
        {
            problems.Add(Diagnostic.Error(DiagnosticCodes.NoModelNamed, projectFile, 0, 0,
                "No model is named: set ModelDir to a diffusers CogVideoX snapshot (vae/, text_encoder/, tokenizer/), or to 'tiny' for the small test models, or set VaeModelDir, T5ModelDir and TokenizerDir."));
            return problems;
        }
        void Need(string dir, string what, params string[] anyOf)
        {
            if (!anyOf.Any(f => File.Exists(Path.Combine(dir, f))))
                problems.Add(Diagnostic.Error(DiagnosticCodes.ModelFolderMissing, dir, 0, 0, $"The {what} folder lacks its files: expected {string.Join(" or ", anyOf)} in '{dir}'."));
        }
        Need(s.VaeModelDir, "VAE", "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.safetensors.index.json");
        Need(s.VaeModelDir, "VAE", "config.json");
        Need(s.T5ModelDir, "T5", "model.safetensors", "model.safetensors.index.json");
        Need(s.T5ModelDir, "T5", "config.json");
        Need(s.TokenizerDir, "tokenizer", "spiece.model");
        return problems;
    }

    /// <param name="s">The settings, paths absolute (<see cref="DatasetSettings.MakeAbsolute"/>).</param>
    /// <param name="visibleGpus">GPUs this build may use (<see cref="ComputeDevice.VisibleGpus"/>).</param>
    /// <param name="parsedAnnotations">Where the parsed annotation lines are remembered between builds (none: parse every time).</param>
    /// <param name="annotations">The annotations when they are not to be read from <see cref="DatasetSettings.AnnotationSource"/> (planned from the scene file).</param>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static DatasetPlan Create(DatasetSettings s, FileStampCache contentHashes, string projectFile, int visibleGpus, AnnotationParseCache? parsedAnnotations = null, AnnotationSet? annotations = null)
    {
        var timer = new PhaseTimer();
        annotations ??= AnnotationReader.Read(s.AnnotationSource, s.EpisodeDir, s.Shard.IsPart ? s.Shard.Owns : null, parsedAnnotations);
        timer.Done("annotations");
        var diagnostics = new List<Diagnostic>(annotations.Diagnostics);
        var modelProblems = CheckModels(s, projectFile);
        s = s with { TorchDevice = ComputeDevice.Resolve(s.TorchDevice, s.VideoDatasetCuda, visibleGpus, projectFile, out var deviceError) };
        if (deviceError is not null) modelProblems.Add(deviceError);
        diagnostics.AddRange(modelProblems);

        string numerics = ComputeDevice.Numerics(s.TorchDevice);
        string latentRecipe = "", textRecipe = "";
        if (modelProblems.Count == 0)
        {
            latentRecipe = Recipes.Latents(Recipes.ModelIdentity(s.VaeModelDir, Recipes.WeightFiles(s.VaeModelDir), contentHashes),
                s.Fps, s.SegmentSeconds, s.FrameWidth, s.FrameHeight, s.VaeChunkFrames, numerics);
            textRecipe = Recipes.Text(Recipes.ModelIdentity(s.T5ModelDir, Recipes.WeightFiles(s.T5ModelDir), contentHashes),
                Recipes.ModelIdentity(s.TokenizerDir, Recipes.TokenizerFiles(s.TokenizerDir), contentHashes),
                s.TextMaxLength, numerics);
        }

        // A shard plans only its own items (DESIGN §8): videos by their path relative to EpisodeDir,
        // texts by their key, whatever video they belong to; it hashes only its own videos and plans
        // no manifest.
        var shard = s.Shard;
        var entries = annotations.Entries;
        // The shard's own latents, in parallel: content hashes of the videos (cached by size and time;
        // the first build reads them) and the keys made from them.
        var planned = new PlannedLatent?[entries.Count];
        Parallel.For(0, entries.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(4, Environment.ProcessorCount) }, i =>
        {
            var e = entries[i];
            if (!shard.Owns(e.Video)) return;
            string hash = e.VideoStamp is { } stamp ? contentHashes.Get(e.VideoPath, stamp, FileStampCache.Sha256OfFile)
                : contentHashes.Get(e.VideoPath, FileStampCache.Sha256OfFile);
            planned[i] = new PlannedLatent(e, Path.Combine(s.DatasetDir, e.LatentRelativePath), e.LatentRelativePath, Recipes.Key(latentRecipe, hash), hash);
        });
        timer.Done("recipes, input hashes and latent keys");

        var latents = new List<PlannedLatent>(entries.Count);
        var texts = new Dictionary<string, PlannedText>(StringComparer.Ordinal);
        var notOwned = new HashSet<string>(StringComparer.Ordinal);
        var manifestLines = new SortedDictionary<int, List<ManifestLine>>();
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            string rel = e.LatentRelativePath;
            if (planned[i] is { } latent) latents.Add(latent);
            var textPaths = new List<string>(e.Segments);
            for (int segment = 0; segment < e.Segments; segment++)
            {
                string encoded = e.EncodedText(segment);
                if (!texts.TryGetValue(encoded, out var t))
                {
                    if (notOwned.Contains(encoded)) continue;
                    string tkey = Recipes.Key(textRecipe, encoded);
                    if (!shard.Owns(tkey)) { notOwned.Add(encoded); continue; }
                    string trel = TextRelativePath(tkey);
                    texts[encoded] = t = new PlannedText(encoded, tkey, Path.Combine(s.DatasetDir, trel), trel);
                }
                textPaths.Add(t.RelativePath);
            }
            if (shard.IsPart) continue; // the final step writes the manifests
            int seconds = e.Segments * s.SegmentSeconds;
            if (!manifestLines.TryGetValue(seconds, out var list)) manifestLines[seconds] = list = new();
            list.Add(new ManifestLine(rel, textPaths, e.Video));
        }

        var manifests = manifestLines.Select(kv => new PlannedManifest(kv.Key,
            Path.Combine(s.DatasetDir, ManifestWriter.FileName(kv.Key)), kv.Value)).ToList();
        timer.Done("text keys and manifests");

        return new DatasetPlan
        {
            Settings = s, Annotations = annotations, Diagnostics = diagnostics,
            LatentRecipe = latentRecipe, TextRecipe = textRecipe,
            Latents = latents, Texts = texts.Values.ToList(), Manifests = manifests, Timings = timer.ToString(),
        };
    }
}
