using System.Text;
using System.Text.Json;
using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Core.IO;

/// <summary>
/// Reads a JSON Lines file of objects (annotations, scenes, captions): a UTF-8 BOM, CRLF line ends
/// and blank lines are accepted; a line that is not valid UTF-8, not JSON, not one object, that
/// repeats a key or escapes an unpaired surrogate is reported at its line and column with the file
/// kind's code and left out, and the other lines go on, so one run reports every bad line. What the
/// keys must hold is the caller's business.
/// </summary>
public static class JsonLinesReader
{
    static ReadOnlySpan<byte> Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// The well-formed lines of <paramref name="file"/> (which must exist), read as they are asked
    /// for, so the caller's diagnostics for a line and the reader's come out in line order; problems
    /// go to <paramref name="diagnostics"/>.
    /// </summary>
    public static IEnumerable<JsonLineObject> Read(string file, JsonLineFormat format, List<Diagnostic> diagnostics) =>
        Read(file, File.ReadAllBytes(file), format, diagnostics);

    /// <summary>The same, for the file's <paramref name="bytes"/> already read (diagnostics name <paramref name="file"/>).</summary>
    public static IEnumerable<JsonLineObject> Read(string file, byte[] bytes, JsonLineFormat format, List<Diagnostic> diagnostics)
    {
        int lineNumber = 0, start = HasBom(bytes) ? 3 : 0;
        while (start <= bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) end = bytes.Length;
            lineNumber++;
            var line = bytes.AsMemory(start, end - start);
            if (line.Length > 0 && bytes[end - 1] == '\r') line = line[..^1];
            start = end + 1;
            if (IsBlank(line)) continue;
            var parsed = ReadLine(file, lineNumber, line, format, diagnostics);
            if (parsed is not null) yield return parsed;
        }
    }

    static bool HasBom(byte[] bytes) => bytes.AsSpan().StartsWith(Bom);

    /// <summary>A value as a message names it: <c>the string "x"</c>, <c>the number 12</c>, <c>null</c>, <c>an array</c>.</summary>
    public static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Shorten(e.GetString()!)}\"",
        JsonValueKind.Number => $"the number {e.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => e.ValueKind.ToString(),
    };

    // JSON's whitespace; '\r' too, so a line of a file with stray carriage returns is still blank.
    static bool IsBlank(ReadOnlyMemory<byte> line)
    {
        foreach (byte b in line.Span) if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r')) return false;
        return true;
    }

    /// <summary>1-based column of a byte offset in the line, counted in UTF-16 characters as editors count them.</summary>
    static int Column(ReadOnlyMemory<byte> line, long byteOffset) =>
        Encoding.UTF8.GetCharCount(line.Span[..(int)Math.Min(byteOffset, line.Length)]) + 1;

    static JsonLineObject? ReadLine(string file, int lineNumber, ReadOnlyMemory<byte> line, JsonLineFormat format, List<Diagnostic> diagnostics)
    {
        void Error(string code, int col, string message) => diagnostics.Add(Diagnostic.Error(code, file, lineNumber, col, message));

        int bad = FirstInvalidUtf8(line.Span);
        if (bad >= 0)
        {
            Error(format.InvalidUtf8, Column(line, bad), $"The line is not valid UTF-8 (byte 0x{line.Span[bad]:X2} at byte {bad + 1}).");
            return null;
        }

        var properties = new List<JsonLineProperty>();
        try
        {
            var reader = new Utf8JsonReader(line.Span, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                Error(format.NotAnObject, Column(line, reader.TokenStartIndex), $"Expected a JSON object ({format.Example}), found {Describe(reader.TokenType)}.");
                return null;
            }
            var names = new Dictionary<string, int>(StringComparer.Ordinal);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                int nameColumn = Column(line, reader.TokenStartIndex);
                if (!TryGetString(ref reader, out string name))
                {
                    Error(format.Malformed, nameColumn, UnpairedSurrogate);
                    return null;
                }
                reader.Read();
                int valueColumn = Column(line, reader.TokenStartIndex);
                using var value = JsonDocument.ParseValue(ref reader);
                if (!StringsAreText(value.RootElement))
                {
                    Error(format.Malformed, valueColumn, UnpairedSurrogate);
                    return null;
                }
                if (names.TryGetValue(name, out int firstColumn))
                {
                    Error(format.DuplicateKey, nameColumn, $"Key \"{name}\" appears twice in the object (first at column {firstColumn}); expected each key once.");
                    return null;
                }
                names[name] = nameColumn;
                properties.Add(new JsonLineProperty(name, value.RootElement.Clone(), nameColumn, valueColumn));
            }
            if (reader.Read())
            {
                Error(format.Malformed, Column(line, reader.TokenStartIndex), $"Expected the end of the line after the object, found {Describe(reader.TokenType)}.");
                return null;
            }
        }
        catch (JsonException e)
        {
            Error(format.Malformed, Column(line, e.BytePositionInLine ?? 0), $"Malformed JSON: {Trim(e.Message)}");
            return null;
        }
        return new JsonLineObject(lineNumber, properties);
    }

    static string Describe(JsonTokenType t) => t switch
    {
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "another object",
        _ => t.ToString(),
    };

    static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";

    // System.Text.Json's messages end with position details the canonical form already gives.
    static string Trim(string message)
    {
        int at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return at > 0 ? message[..at].TrimEnd() : message;
    }

    // JSON may escape half of a surrogate pair (\ud800): valid JSON syntax, but such a string has
    // no UTF-8 form and is no text, and System.Text.Json throws when asked for it.
    const string UnpairedSurrogate = "Malformed JSON: a string escapes an unpaired UTF-16 surrogate (such as \\ud800); expected valid Unicode text.";

    static bool TryGetString(ref Utf8JsonReader reader, out string value)
    {
        try { value = reader.GetString()!; return true; }
        catch (InvalidOperationException) { value = ""; return false; }
    }

    static bool StringsAreText(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                try { e.GetString(); return true; }
                catch (InvalidOperationException) { return false; }
            case JsonValueKind.Array:
                return e.EnumerateArray().All(StringsAreText);
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    try { _ = p.Name; } catch (InvalidOperationException) { return false; }
                    if (!StringsAreText(p.Value)) return false;
                }
                return true;
            default:
                return true;
        }
    }

    static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        for (int i = 0; i < bytes.Length;)
        {
            if (Rune.DecodeFromUtf8(bytes[i..], out _, out int consumed) != System.Buffers.OperationStatus.Done) return i;
            i += consumed;
        }
        return -1;
    }
}
