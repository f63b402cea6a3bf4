namespace VideoDataset.Core.IO;

/// <summary>
/// What a JSON Lines file kind calls its line-level problems: the diagnostic code of each, and an
/// example line for messages. Each file kind keeps the codes it has always used.
/// </summary>
public sealed record JsonLineFormat(string Example, string Malformed, string NotAnObject, string InvalidUtf8, string DuplicateKey)
{
    /// <summary>A file kind that reports every line-level problem under one code.</summary>
    public static JsonLineFormat OneCode(string example, string code) => new(example, code, code, code, code);
}
