namespace VideoDataset.Core.Diagnostics;

public enum Severity { Error, Warning }

/// <summary>
/// One problem, located in a file, in the shape of MSBuild's canonical format
/// (<c>file(line,col): error VDSnnnn: message</c>). Line and Column are 1-based; 0 means unknown.
/// Codes by area: VDS1xxx annotations, VDS2xxx videos and latents, VDS3xxx tokenizer and text
/// embeddings, VDS4xxx model folders and weight files, VDS5xxx build engine, staleness and
/// verification, VDS6xxx segment preparation (scene and caption files, sequence videos),
/// VDS09xx the native model runtime and the worker's assembly (package builds).
/// </summary>
public sealed record Diagnostic(Severity Severity, string Code, string File, int Line, int Column, string Message)
{
    public static Diagnostic Error(string code, string file, int line, int column, string message) =>
        new(Severity.Error, code, file, line, column, message);

    public static Diagnostic Warning(string code, string file, int line, int column, string message) =>
        new(Severity.Warning, code, file, line, column, message);

    /// <summary>The canonical single-line form MSBuild and IDEs parse.</summary>
    public override string ToString()
    {
        string location = Line > 0 ? (Column > 0 ? $"({Line},{Column})" : $"({Line})") : "";
        string kind = Severity == Severity.Error ? "error" : "warning";
        return $"{File}{location}: {kind} {Code}: {Message}";
    }
}

/// <summary>An error that aborts one item (a video, a model folder) and carries its diagnostic.</summary>
public sealed class DiagnosticException(Diagnostic diagnostic) : Exception(diagnostic.ToString())
{
    public Diagnostic Diagnostic { get; } = diagnostic;
}
