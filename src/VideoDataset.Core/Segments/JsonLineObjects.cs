using System.Text;
using System.Text.Json;
using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Core.Segments;

/// <summary>One key of a JSON Lines object, with the 1-based columns of its name and value.</summary>
public sealed record JsonLineProperty(string Name, JsonElement Value, int NameColumn, int Column);

/// <summary>One non-blank line of a JSON Lines file, parsed into its keys (null when it is not a valid object).</summary>
public sealed record JsonLineObject(int Line, IReadOnlyList<JsonLineProperty> Properties)
{
    public JsonLineProperty? Find(string name) => Properties.FirstOrDefault(p => p.Name == name);
}

/// <summary>
/// Reads a JSON Lines file of flat objects for the scene and caption files, reporting malformed
/// lines in canonical form with line and column (as the annotation reader does) and going on.
/// </summary>
public static class JsonLineObjects
{
    public static List<JsonLineObject> Read(string file, string malformedCode, List<Diagnostic> diagnostics)
    {
        var result = new List<JsonLineObject>();
        byte[] bytes = File.ReadAllBytes(file);
        int lineNumber = 0, start = bytes.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }) ? 3 : 0;
        while (start <= bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) end = bytes.Length;
            lineNumber++;
            var line = bytes.AsMemory(start, end - start);
            if (line.Length > 0 && line.Span[^1] == '\r') line = line[..^1];
            start = end + 1;
            if (line.Span.Trim(" \t"u8).IsEmpty) continue;
            var parsed = ReadLine(file, lineNumber, line, malformedCode, diagnostics);
            if (parsed is not null) result.Add(parsed);
        }
        return result;
    }

    static int Column(ReadOnlyMemory<byte> line, long byteOffset) =>
        Encoding.UTF8.GetCharCount(line.Span[..(int)Math.Min(byteOffset, line.Length)]) + 1;

    static JsonLineObject? ReadLine(string file, int lineNumber, ReadOnlyMemory<byte> line, string code, List<Diagnostic> diagnostics)
    {
        void Error(int col, string message) => diagnostics.Add(Diagnostic.Error(code, file, lineNumber, col, message));
        if (!System.Text.Unicode.Utf8.IsValid(line.Span))
        {
            Error(1, "The line is not valid UTF-8.");
            return null;
        }
        var properties = new List<JsonLineProperty>();
        try
        {
            var reader = new Utf8JsonReader(line.Span);
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                Error(Column(line, reader.TokenStartIndex), $"Expected a JSON object, found {reader.TokenType}.");
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                int nameColumn = Column(line, reader.TokenStartIndex);
                reader.Read();
                int valueColumn = Column(line, reader.TokenStartIndex);
                using var value = JsonDocument.ParseValue(ref reader);
                if (properties.Any(p => p.Name == name))
                {
                    Error(nameColumn, $"Key \"{name}\" appears twice in the object; expected each key once.");
                    return null;
                }
                properties.Add(new JsonLineProperty(name, value.RootElement.Clone(), nameColumn, valueColumn));
            }
            if (reader.Read())
            {
                Error(Column(line, reader.TokenStartIndex), "Expected the end of the line after the object.");
                return null;
            }
        }
        catch (JsonException e)
        {
            string message = e.Message;
            int at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            Error(Column(line, e.BytePositionInLine ?? 0), "Malformed JSON: " + (at > 0 ? message[..at].TrimEnd() : message));
            return null;
        }
        return new JsonLineObject(lineNumber, properties);
    }

    public static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{e.GetString()}\"",
        JsonValueKind.Number => $"the number {e.GetRawText()}",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => e.GetRawText(),
    };
}
