using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace VideoDataset.Core.Dataset;

public static class ManifestWriter
{
    static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static string FileName(int seconds) => $"manifest-{seconds}s.jsonl";

    /// <summary>The manifest's exact text: one JSON object per line, in the given (annotation) order.</summary>
    public static string Render(IEnumerable<ManifestLine> lines) => Encoding.UTF8.GetString(RenderUtf8(lines).Span);

    /// <summary>The same text as UTF-8 bytes (no byte order mark), without making the string.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static ReadOnlyMemory<byte> RenderUtf8(IEnumerable<ManifestLine> lines)
    {
        var buffer = new ArrayBufferWriter<byte>(1 << 16);
        using var w = new Utf8JsonWriter(buffer, Options);
        foreach (var line in lines)
        {
            w.WriteStartObject();
            w.WriteString("vid_emb", line.VidEmb);
            w.WriteStartArray("text_chunk_emb");
            foreach (string t in line.TextChunkEmb) w.WriteStringValue(t);
            w.WriteEndArray();
            w.WriteString("video", line.Video);
            w.WriteEndObject();
            w.Flush();
            buffer.Write("\n"u8);
            w.Reset(buffer); // the next line is a new JSON value
        }
        return buffer.WrittenMemory;
    }
}
