using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace VideoDataset.Core.Dataset;

public static class ManifestWriter
{
    static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static string FileName(int seconds) => $"manifest-{seconds}s.jsonl";

    /// <summary>The manifest's exact text: one JSON object per line, in the given (annotation) order.</summary>
    public static string Render(IEnumerable<ManifestLine> lines)
    {
        var sb = new StringBuilder();
        using var buffer = new MemoryStream();
        foreach (var line in lines)
        {
            buffer.SetLength(0);
            using (var w = new Utf8JsonWriter(buffer, Options))
            {
                w.WriteStartObject();
                w.WriteString("vid_emb", line.VidEmb);
                w.WriteStartArray("text_chunk_emb");
                foreach (string t in line.TextChunkEmb) w.WriteStringValue(t);
                w.WriteEndArray();
                w.WriteString("video", line.Video);
                w.WriteEndObject();
            }
            sb.Append(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)).Append('\n');
        }
        return sb.ToString();
    }
}
