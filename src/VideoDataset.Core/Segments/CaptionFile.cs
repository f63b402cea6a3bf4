using System.Text.Json;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.IO;

namespace VideoDataset.Core.Segments;

/// <summary>A caption line's place, so later checks can point at it.</summary>
public sealed record Caption(string Segment, string Text, int Line, int Column);

/// <summary>
/// Reads the caption file (JSON Lines, <c>{"segment": "ep01/scene003_seg01", "text": "..."}</c>),
/// one caption per segment id.
/// </summary>
public static class CaptionFile
{
    public const string FileMissing = "VDS6012";
    public const string BadField = "VDS6013";
    public const string Duplicate = "VDS6014";
    public const string UnknownSegment = "VDS6015";

    // A line that is not one well-formed object is reported as the scene file's are.
    static readonly JsonLineFormat Format = JsonLineFormat.OneCode("{\"segment\": ..., \"text\": ...}", SceneFile.Malformed);

    public static Dictionary<string, Caption> Read(string captionFile, List<Diagnostic> diagnostics)
    {
        var captions = new Dictionary<string, Caption>(StringComparer.Ordinal);
        string file = Path.GetFullPath(captionFile);
        if (!File.Exists(file))
        {
            diagnostics.Add(Diagnostic.Error(FileMissing, file, 0, 0, $"The caption file was not found (CaptionFile = '{captionFile}'): expected one {{\"segment\": ..., \"text\": ...}} line per 3-second segment."));
            return captions;
        }
        foreach (var obj in JsonLinesReader.Read(file, Format, diagnostics))
        {
            int before = diagnostics.Count;
            void Error(string code, int col, string message) => diagnostics.Add(Diagnostic.Error(code, file, obj.Line, col, message));
            foreach (var p in obj.Properties)
                if (p.Name is not ("segment" or "text"))
                    Error(BadField, p.NameColumn, $"Unexpected key \"{p.Name}\": a caption line has \"segment\" and \"text\".");
            string? String(string name)
            {
                var p = obj.Find(name);
                if (p is null) { Error(BadField, 1, $"Missing \"{name}\": expected a string."); return null; }
                if (p.Value.ValueKind != JsonValueKind.String || (name == "segment" && p.Value.GetString()!.Length == 0))
                { Error(BadField, p.Column, $"\"{name}\" must be a {(name == "segment" ? "non-empty " : "")}string, found {JsonLinesReader.Describe(p.Value)}."); return null; }
                return p.Value.GetString();
            }
            string? segment = String("segment"), text = String("text");
            if (diagnostics.Count != before) continue;
            if (captions.TryGetValue(segment!, out var first))
            {
                Error(Duplicate, obj.Find("segment")!.Column, $"Segment '{segment}' has a caption already on line {first.Line}: expected one caption per segment.");
                continue;
            }
            captions[segment!] = new Caption(segment!, text!, obj.Line, obj.Find("segment")!.Column);
        }
        return captions;
    }
}
