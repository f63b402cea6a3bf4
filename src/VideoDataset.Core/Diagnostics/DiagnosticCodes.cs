namespace VideoDataset.Core.Diagnostics;

/// <summary>
/// Every diagnostic code the tasks, the worker and Core report, in one place, grouped as README.md's
/// error table groups them. A test checks the table and this class against each other and that no
/// other source file spells a code as a literal.
/// </summary>
public static class DiagnosticCodes
{
    // VDS0901–0920: native runtime and package (the worker's assembly in a consumer's obj/).

    /// <summary>The Debian 12 copy of <c>libLibTorchSharp.so</c> could not be written.</summary>
    public const string NativePatchFailed = "VDS0901";
    /// <summary>The host is not a platform the worker runs on (linux-x64).</summary>
    public const string PackageUnsupportedPlatform = "VDS0910";
    /// <summary>The project was not restored (no assets file).</summary>
    public const string PackageNotRestored = "VDS0911";
    /// <summary>Restore resolved another TorchSharp or libtorch version than the worker was built against.</summary>
    public const string PackageRuntimeVersionMismatch = "VDS0912";
    /// <summary>The restored native runtime is missing from the NuGet packages folder.</summary>
    public const string PackageNativesMissing = "VDS0913";
    /// <summary>The package lacks the worker's managed files.</summary>
    public const string PackageIncomplete = "VDS0914";
    /// <summary>The worker folder in obj/ could not be written.</summary>
    public const string PackageWorkerFolderFailed = "VDS0915";
    /// <summary>Packing without the built tasks and worker (raised by VideoDataset.Build.csproj).</summary>
    public const string PackageToolsNotBuilt = "VDS0916";
    /// <summary>A VideoDataset.Sdk project whose VideoDataset.Build files were not imported (raised by Sdk.targets).</summary>
    public const string SdkNotRestored = "VDS0917";
    /// <summary>The worker could not load libtorch or libLibTorchSharp.so from its own folder.</summary>
    public const string WorkerRuntimeLoadFailed = "VDS0920";

    // VDS1001–1017: annotations.

    /// <summary>A line is not well-formed JSON (an escaped unpaired surrogate included).</summary>
    public const string AnnotationMalformedJson = "VDS1001";
    /// <summary>A line is JSON but not an object.</summary>
    public const string AnnotationNotAnObject = "VDS1002";
    /// <summary><c>video</c> (or <c>mp4</c>) is missing, not a non-empty string, or ambiguous.</summary>
    public const string AnnotationBadVideoField = "VDS1003";
    /// <summary><c>scene_start</c> or <c>scene_end</c> is missing or not an array of booleans.</summary>
    public const string AnnotationBadFlags = "VDS1004";
    /// <summary><c>scene_start</c> and <c>scene_end</c> differ in length.</summary>
    public const string AnnotationFlagLengthMismatch = "VDS1005";
    /// <summary>A segment lacks its <c>text_N</c>.</summary>
    public const string AnnotationMissingText = "VDS1006";
    /// <summary>A <c>text_N</c> beyond the segments the flags give.</summary>
    public const string AnnotationExtraText = "VDS1007";
    /// <summary>The annotated video does not exist.</summary>
    public const string AnnotationVideoNotFound = "VDS1008";
    /// <summary>A video is annotated twice.</summary>
    public const string AnnotationDuplicateVideo = "VDS1009";
    /// <summary>The video path leaves <c>EpisodeDir</c>, symbolic links included.</summary>
    public const string AnnotationPathOutsideEpisodeDir = "VDS1010";
    /// <summary>The number of texts does not fit the video's length; reported by the latent stage, which knows it.</summary>
    public const string AnnotationTextCountMismatch = "VDS1011";
    /// <summary>The flag arrays are empty: no segments.</summary>
    public const string AnnotationNoSegments = "VDS1012";
    /// <summary>The annotation file is not valid UTF-8.</summary>
    public const string AnnotationInvalidUtf8 = "VDS1013";
    /// <summary>The annotation file does not exist.</summary>
    public const string AnnotationFileMissing = "VDS1014";
    /// <summary>Two videos would write one latent.</summary>
    public const string AnnotationDuplicateOutput = "VDS1015";
    /// <summary>A line repeats a key.</summary>
    public const string AnnotationDuplicateKey = "VDS1016";
    /// <summary>A text is not a string, or an unexpected key.</summary>
    public const string AnnotationBadText = "VDS1017";

    // VDS1101–1103: texts that lose something silently (warnings).

    /// <summary>A segment's encoded string is longer than <c>TextMaxLength</c> tokens (how many are cut, whether <c>&lt;end_scene&gt;</c> goes).</summary>
    public const string TextTruncated = "VDS1101";
    /// <summary>An empty or whitespace-only <c>text_i</c>.</summary>
    public const string TextEmpty = "VDS1102";
    /// <summary><c>text_i</c> identical to the previous segment's inside one scene.</summary>
    public const string TextRepeated = "VDS1103";

    // VDS2001–2099: videos and latents.

    /// <summary>The video is missing or ffprobe cannot read it.</summary>
    public const string VideoUnreadable = "VDS2001";
    /// <summary>The file has no video stream, or no frames with timestamps.</summary>
    public const string VideoNoStream = "VDS2002";
    /// <summary>The frame rate differs from the expected one, variable frame rate included.</summary>
    public const string VideoFrameRate = "VDS2003";
    /// <summary>The frame size differs from the expected one.</summary>
    public const string VideoFrameSize = "VDS2004";
    /// <summary>The frame count is not <c>Fps*L+1</c> for a whole number of segments.</summary>
    public const string VideoFrameCount = "VDS2005";
    /// <summary>Warning: a video of <c>Fps*L</c> frames, padded like the reference does.</summary>
    public const string VideoPadded = "VDS2006";
    /// <summary>Decoding gave other frames than the probe promised.</summary>
    public const string VideoDecodeMismatch = "VDS2007";
    /// <summary>The frames do not split into chunks of the expected length.</summary>
    public const string VideoChunkLength = "VDS2008";
    /// <summary>ffmpeg or ffprobe cannot be started.</summary>
    public const string FfmpegMissing = "VDS2009";
    /// <summary>Encoding or writing a latent failed, e.g. a full disk.</summary>
    public const string LatentWriteFailed = "VDS2099";

    // VDS3101–3299: tokenizer and text embeddings.

    /// <summary>The tokenizer folder has no <c>spiece.model</c>.</summary>
    public const string TokenizerModelMissing = "VDS3101";
    /// <summary><c>spiece.model</c> is not a SentencePiece unigram model.</summary>
    public const string TokenizerModelInvalid = "VDS3102";
    /// <summary><c>tokenizer_config.json</c> is unreadable or lacks what T5 needs.</summary>
    public const string TokenizerConfigInvalid = "VDS3103";
    /// <summary><c>special_tokens_map.json</c> is unreadable or malformed.</summary>
    public const string TokenizerSpecialTokensInvalid = "VDS3104";
    /// <summary><c>added_tokens.json</c> is unreadable or malformed.</summary>
    public const string TokenizerAddedTokensInvalid = "VDS3105";
    /// <summary>The tokenizer's vocabulary is larger than the T5 model's.</summary>
    public const string TokenizerExceedsVocabulary = "VDS3201";
    /// <summary>Encoding or writing a text embedding failed, e.g. a full disk.</summary>
    public const string EmbeddingWriteFailed = "VDS3299";

    // VDS4101–4124: safetensors files and shard indexes.

    /// <summary>The safetensors file does not exist.</summary>
    public const string SafetensorsNotFound = "VDS4101";
    /// <summary>The file is shorter than the 8-byte header length.</summary>
    public const string SafetensorsTooShort = "VDS4102";
    /// <summary>The header length is zero, implausibly large or larger than the file.</summary>
    public const string SafetensorsBadHeaderLength = "VDS4103";
    /// <summary>The header is not UTF-8.</summary>
    public const string SafetensorsHeaderNotUtf8 = "VDS4104";
    /// <summary>The header is not valid JSON, not an object, or names a tensor twice.</summary>
    public const string SafetensorsBadHeader = "VDS4105";
    /// <summary>An entry is not an object or lacks a well-formed dtype, shape or data_offsets.</summary>
    public const string SafetensorsBadEntry = "VDS4106";
    /// <summary>An entry's dtype is not F32, F16 or BF16.</summary>
    public const string SafetensorsUnsupportedDtype = "VDS4107";
    /// <summary>An entry's data_offsets lie outside the data area.</summary>
    public const string SafetensorsOffsetsOutside = "VDS4108";
    /// <summary>An entry's data_offsets span does not match its shape times the element size.</summary>
    public const string SafetensorsSizeMismatch = "VDS4109";
    /// <summary>Two entries' data overlap.</summary>
    public const string SafetensorsOverlap = "VDS4110";
    /// <summary>The file holds fewer bytes than the header describes.</summary>
    public const string SafetensorsTruncated = "VDS4111";
    /// <summary><c>__metadata__</c> is not an object of strings.</summary>
    public const string SafetensorsBadMetadata = "VDS4112";
    /// <summary>A tensor is asked for that the file does not hold.</summary>
    public const string SafetensorsNoSuchTensor = "VDS4113";
    /// <summary>The model folder has neither the single weights file nor its shard index.</summary>
    public const string CheckpointNoWeights = "VDS4120";
    /// <summary>The shard index is not valid JSON, has no usable weight_map, or names a tensor twice.</summary>
    public const string ShardIndexInvalid = "VDS4121";
    /// <summary>A shard the index names does not exist.</summary>
    public const string ShardMissing = "VDS4122";
    /// <summary>A shard lacks a tensor the index maps to it.</summary>
    public const string ShardLacksTensor = "VDS4123";
    /// <summary>A tensor is asked for that the checkpoint does not hold.</summary>
    public const string CheckpointNoSuchTensor = "VDS4124";

    // VDS4201–4205, VDS4301–4320: VAE and T5 configs and weights.

    /// <summary>The VAE <c>config.json</c> is missing or not valid JSON.</summary>
    public const string VaeConfigUnreadable = "VDS4201";
    /// <summary>A VAE config field is missing or unusable.</summary>
    public const string VaeConfigBadField = "VDS4202";
    /// <summary>The VAE weights have missing, unexpected or mis-shaped keys (all in one message).</summary>
    public const string VaeWeightsMismatch = "VDS4204";
    /// <summary>A VAE weights file or tensor cannot be read.</summary>
    public const string VaeWeightsUnreadable = "VDS4205";
    /// <summary>The T5 <c>config.json</c> is missing, not valid JSON or not an object.</summary>
    public const string T5ConfigUnreadable = "VDS4301";
    /// <summary>A T5 config field is missing, mistyped or out of range.</summary>
    public const string T5ConfigBadField = "VDS4302";
    /// <summary>The T5 config asks for a feed-forward or activation this encoder does not support.</summary>
    public const string T5ConfigUnsupported = "VDS4303";
    /// <summary>The T5 weights have missing, unexpected or mis-shaped keys (all in one message).</summary>
    public const string T5WeightsMismatch = "VDS4312";
    /// <summary>A token id lies outside the T5 vocabulary: the tokenizer does not belong to the model.</summary>
    public const string T5TokenOutsideVocabulary = "VDS4320";

    // VDS5001–5105: build engine, staleness and verification.

    /// <summary>A model folder lacks its files.</summary>
    public const string ModelFolderMissing = "VDS5001";
    /// <summary>No model folder is named.</summary>
    public const string NoModelNamed = "VDS5002";
    /// <summary><c>TorchDevice</c> names a device this build cannot compute on.</summary>
    public const string DeviceUnusable = "VDS5003";
    /// <summary>Another build holds the <c>DatasetDir</c> lock.</summary>
    public const string DatasetLocked = "VDS5010";
    /// <summary>Under <c>-question</c>, something would be written.</summary>
    public const string NotIncremental = "VDS5020";
    /// <summary>Pruning refused because what is referenced is not known.</summary>
    public const string PruneRefused = "VDS5030";
    /// <summary>The worker was started with the wrong arguments or request.</summary>
    public const string WorkerUsage = "VDS5040";
    /// <summary>Warning: a manifest kept as it was after a failed stage.</summary>
    public const string ManifestKept = "VDS5050";
    /// <summary><c>ShardIndex</c>/<c>ShardCount</c> invalid: out of range, below 1, not a number, or one without the other.</summary>
    public const string ShardSettingsInvalid = "VDS5060";
    /// <summary>Verification: an output is missing.</summary>
    public const string VerifyMissing = "VDS5101";
    /// <summary>Verification: an output is corrupt.</summary>
    public const string VerifyCorrupt = "VDS5102";
    /// <summary>Verification: an output is stale (the video or the recipe changed).</summary>
    public const string VerifyStale = "VDS5103";
    /// <summary>Verification: a manifest is stale.</summary>
    public const string VerifyManifestStale = "VDS5104";
    /// <summary>Verification warning: a file in <c>DatasetDir</c> no annotation references.</summary>
    public const string VerifyUnreferenced = "VDS5105";

    // VDS6001–6040: segment preparation.

    /// <summary>A scene or caption line is not one well-formed JSON object.</summary>
    public const string SceneMalformed = "VDS6001";
    /// <summary>A scene's <c>video</c> is missing, not a string or leaves <c>RawEpisodeDir</c>.</summary>
    public const string SceneBadVideo = "VDS6003";
    /// <summary>A scene's time is missing or not a valid timecode.</summary>
    public const string SceneBadTime = "VDS6004";
    /// <summary>A scene's <c>end</c> is not after its <c>start</c>.</summary>
    public const string SceneEmpty = "VDS6005";
    /// <summary>Scenes out of order or overlapping.</summary>
    public const string SceneUnordered = "VDS6006";
    /// <summary>A scene's video does not exist.</summary>
    public const string SceneVideoNotFound = "VDS6007";
    /// <summary>A scene ends past the end of its video.</summary>
    public const string ScenePastEnd = "VDS6008";
    /// <summary>The scene file does not exist.</summary>
    public const string SceneFileMissing = "VDS6009";
    /// <summary>A scene line has an unknown key.</summary>
    public const string SceneUnknownKey = "VDS6010";
    /// <summary>Two videos would give one episode.</summary>
    public const string SceneEpisodeClash = "VDS6011";
    /// <summary>The caption file does not exist.</summary>
    public const string CaptionFileMissing = "VDS6012";
    /// <summary>A caption line has a missing, unknown or mistyped key.</summary>
    public const string CaptionBadField = "VDS6013";
    /// <summary>A segment has a second caption.</summary>
    public const string CaptionDuplicate = "VDS6014";
    /// <summary>Warning: a caption no sequence uses.</summary>
    public const string CaptionUnknownSegment = "VDS6015";
    /// <summary>Warning: a scene too short to use is dropped.</summary>
    public const string SceneDropped = "VDS6020";
    /// <summary>Warning: a segment has no caption.</summary>
    public const string CaptionMissing = "VDS6021";
    /// <summary><c>SequenceSeconds</c> is empty or not multiples of <c>SegmentSeconds</c>.</summary>
    public const string BadSequenceSeconds = "VDS6030";
    /// <summary>Writing a sequence video failed.</summary>
    public const string SequenceEncodeFailed = "VDS6040";
}
