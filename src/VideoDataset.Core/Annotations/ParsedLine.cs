namespace VideoDataset.Core.Annotations;

/// <summary>
/// One annotation line as its own text gives it, before the file system is asked: the normalised
/// video name (null when the line gives none that is usable) and, only when the line has no error,
/// its texts and flags.
/// </summary>
public sealed record ParsedLine(int Line, string? Video, int VideoColumn, string[]? Texts, bool[]? Starts, bool[]? Ends);
