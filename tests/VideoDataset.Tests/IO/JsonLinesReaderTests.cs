using System.Text;
using System.Text.Json;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Core.IO;

namespace VideoDataset.Tests.IO;

/// <summary>
/// The one JSON Lines reader behind the annotation, scene and caption files: what it accepts, and
/// where and under which of the file kind's codes it reports each line-level problem. The readers of
/// each file kind test only that they are wired to it.
/// </summary>
[TestClass]
[TestCategory("Unit")]
public sealed class JsonLinesReaderTests
{
    // A distinct code per problem, so each test shows which one the reader chose.
    static readonly JsonLineFormat Format = new("{\"k\": ...}", "T-MALFORMED", "T-NOTOBJECT", "T-UTF8", "T-DUPKEY");

    string _file = "";

    [TestInitialize]
    public void Init() => _file = Path.Combine(Path.GetTempPath(), "vds-jsonl-" + Guid.NewGuid().ToString("N")[..8] + ".jsonl");

    [TestCleanup]
    public void Cleanup() => File.Delete(_file);

    (List<JsonLineObject> Lines, List<Diagnostic> Diagnostics) Read(byte[] bytes)
    {
        File.WriteAllBytes(_file, bytes);
        var diagnostics = new List<Diagnostic>();
        var lines = JsonLinesReader.Read(_file, Format, diagnostics).ToList();
        return (lines, diagnostics);
    }

    (List<JsonLineObject> Lines, List<Diagnostic> Diagnostics) Read(params string[] lines) => Read(Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n"));

    Diagnostic SingleError((List<JsonLineObject> Lines, List<Diagnostic> Diagnostics) read, string code)
    {
        var d = read.Diagnostics.Single();
        Assert.AreEqual(code, d.Code, d.ToString());
        Assert.AreEqual(_file, d.File);
        Assert.AreEqual(Severity.Error, d.Severity);
        return d;
    }

    [TestMethod]
    public void BomCrlfAndBlankLinesAreAcceptedAndLinesKeepTheirNumbers()
    {
        string text = "{\"a\": 1}\r\n\r\n \t\n\r\r\n{\"b\": \"x\", \"c\": [true]}"; // no newline at the end either
        var (lines, diagnostics) = Read([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)]);
        Assert.IsEmpty(diagnostics, string.Join("\n", diagnostics));
        CollectionAssert.AreEqual(new[] { 1, 5 }, lines.Select(l => l.Line).ToArray());
        Assert.AreEqual(1, lines[0].Find("a")!.Value.GetInt32());
        Assert.AreEqual("x", lines[1].Find("b")!.Value.GetString());
        CollectionAssert.AreEqual(new[] { "b", "c" }, lines[1].Properties.Select(p => p.Name).ToArray()); // file order
        Assert.IsNull(lines[1].Find("a"));
    }

    [TestMethod]
    public void ColumnsOfNamesAndValuesCountUtf16CharactersNotBytes()
    {
        // é is 2 bytes and 1 character; 🎬 is 4 bytes and 2 characters (a surrogate pair), as editors count it.
        string line = "{\"é🎬\": \"日本\", \"n\": 12}";
        var (lines, diagnostics) = Read(line);
        Assert.IsEmpty(diagnostics);
        var p = lines.Single().Properties;
        Assert.AreEqual((2, 9), (p[0].NameColumn, p[0].Column));
        Assert.AreEqual((line.IndexOf("\"n\"", StringComparison.Ordinal) + 1, line.IndexOf("12", StringComparison.Ordinal) + 1), (p[1].NameColumn, p[1].Column));
        Assert.AreEqual("é🎬", p[0].Name);

        string bad = "{\"é🎬\": \"日本\", \"n\": }";
        var d = SingleError(Read("{}", bad), Format.Malformed);
        Assert.AreEqual((2, bad.IndexOf('}', 5) + 1), (d.Line, d.Column));
        StringAssert.StartsWith(d.ToString(), $"{_file}(2,{d.Column}): error T-MALFORMED: Malformed JSON: ");
        Assert.IsFalse(d.Message.Contains("LineNumber"), d.Message); // the position is in the canonical form, once
    }

    [TestMethod]
    [DataRow(new byte[] { 0xFF }, DisplayName = "a byte that never starts UTF-8")]
    [DataRow(new byte[] { 0xC3 }, DisplayName = "a sequence cut short")]
    [DataRow(new byte[] { 0xC0, 0xAF }, DisplayName = "an overlong form")]
    [DataRow(new byte[] { 0xED, 0xA0, 0x80 }, DisplayName = "an encoded surrogate")]
    public void InvalidUtf8IsReportedAtItsFirstBadByteAndTheNextLineIsRead(byte[] badBytes)
    {
        byte[] head = Encoding.UTF8.GetBytes("{\"é\": \"x");
        byte[] bytes = [.. head, .. badBytes, .. "\"}\n{\"ok\": 1}\n"u8];
        var read = Read(bytes);
        var d = SingleError(read, Format.InvalidUtf8);
        Assert.AreEqual((1, "{\"é\": \"x".Length + 1), (d.Line, d.Column));
        StringAssert.Contains(d.Message, $"byte 0x{badBytes[0]:X2} at byte {head.Length + 1}");
        Assert.AreEqual(2, read.Lines.Single().Line);
    }

    [TestMethod]
    [DataRow("""{"k": "bad \ud800"}""", "\"bad", DisplayName = "a high surrogate alone in a value")]
    [DataRow("""{"k": "\udc00 bad"}""", "\"\\udc00", DisplayName = "a low surrogate alone in a value")]
    [DataRow("""{"k": "\udc00\ud800"}""", "\"\\udc00", DisplayName = "a pair in the wrong order")]
    [DataRow("""{"\udc00": 1}""", "\"\\udc00", DisplayName = "a low surrogate alone in a key")]
    [DataRow("""{"ok": 1, "x\ud800": 1}""", "\"x", DisplayName = "a high surrogate alone in a later key")]
    [DataRow("""{"k": ["fine", "\ud800"]}""", "[", DisplayName = "inside an array value")]
    [DataRow("""{"k": {"\udc00": 1}}""", "{\"\\udc00", DisplayName = "a key of an object value")]
    public void EscapedUnpairedSurrogatesAreMalformedAtTheirKeyOrValue(string line, string at)
    {
        var read = Read(line, """{"ok": 1}""");
        var d = SingleError(read, Format.Malformed);
        Assert.AreEqual((1, line.IndexOf(at, StringComparison.Ordinal) + 1), (d.Line, d.Column), d.ToString());
        StringAssert.Contains(d.Message, "unpaired UTF-16 surrogate");
        Assert.AreEqual(2, read.Lines.Single().Line);
    }

    [TestMethod]
    public void AnEscapedSurrogatePairIsText()
    {
        var (lines, diagnostics) = Read("""{"\ud83c\udfac": "\ud83c\udfac \u00e9"}""");
        Assert.IsEmpty(diagnostics);
        Assert.AreEqual(("🎬", "🎬 é"), (lines.Single().Properties[0].Name, lines.Single().Properties[0].Value.GetString()));
    }

    [TestMethod]
    [DataRow("""{"a": 1, "b": 2, "a": 3}""", DisplayName = "written the same")]
    [DataRow("""{"a": 1, "b": 2, "\u0061": 3}""", DisplayName = "the same key once escaped")]
    public void ARepeatedKeyIsReportedAtItsSecondOccurrence(string line)
    {
        var d = SingleError(Read(line), Format.DuplicateKey);
        Assert.AreEqual(line.LastIndexOf(", \"", StringComparison.Ordinal) + 3, d.Column);
        StringAssert.Contains(d.Message, "Key \"a\" appears twice in the object (first at column 2)");
    }

    [TestMethod]
    [DataRow("[1, 2]", 1, "an array")]
    [DataRow("  \"text\"", 3, "a string")]
    [DataRow("12", 1, "a number")]
    [DataRow("null", 1, "null")]
    public void ALineThatIsNotAnObjectNamesWhatItIs(string line, int column, string found)
    {
        var d = SingleError(Read(line), Format.NotAnObject);
        Assert.AreEqual(column, d.Column);
        Assert.AreEqual($"Expected a JSON object ({Format.Example}), found {found}.", d.Message);
    }

    [TestMethod]
    [DataRow("{\"a\": 1} {}", 10, DisplayName = "a second object")]
    [DataRow("{\"a\": 1", 8, DisplayName = "an object never closed")]
    [DataRow("{\"a\": 1 /* why */}", 9, DisplayName = "a comment")]
    [DataRow("{\"a\": 1,}", 9, DisplayName = "a trailing comma")]
    [DataRow("{a: 1}", 2, DisplayName = "a bare key")]
    public void MalformedLinesPointAtTheFirstBadCharacter(string line, int column) =>
        Assert.AreEqual(column, SingleError(Read(line), Format.Malformed).Column);

    [TestMethod]
    public void EveryBadLineIsReportedInOneReadAndGoodLinesStay()
    {
        var (lines, diagnostics) = Read("{\"a\": 1}", "[1]", "{not json", "", "{\"a\": 1, \"a\": 1}", "{\"b\": \"\\ud800\"}", "{\"c\": 3}");
        CollectionAssert.AreEqual(new[] { (2, "T-NOTOBJECT"), (3, "T-MALFORMED"), (5, "T-DUPKEY"), (6, "T-MALFORMED") },
            diagnostics.Select(d => (d.Line, d.Code)).ToArray());
        CollectionAssert.AreEqual(new[] { 1, 7 }, lines.Select(l => l.Line).ToArray());
    }

    [TestMethod]
    public void AnEmptyFileHasNoLines()
    {
        var (lines, diagnostics) = Read(Array.Empty<byte>());
        Assert.IsEmpty(lines);
        Assert.IsEmpty(diagnostics);
    }

    [TestMethod]
    public void ValuesAreDescribedAsMessagesNameThem()
    {
        string D(string json) => JsonLinesReader.Describe(JsonDocument.Parse(json).RootElement);
        Assert.AreEqual("the number 12.5", D("12.5"));
        Assert.AreEqual("the string \"x\"", D("\"x\""));
        Assert.AreEqual("the string \"" + new string('y', 40) + "…\"", D("\"" + new string('y', 60) + "\""));
        Assert.AreEqual("true", D("true"));
        Assert.AreEqual("null", D("null"));
        Assert.AreEqual("an array", D("[]"));
        Assert.AreEqual("an object", D("{}"));
    }
}
