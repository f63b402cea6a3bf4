using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using VideoDataset.Core.Diagnostics;
using VideoDataset.Tests.Support;

namespace VideoDataset.Tests.Diagnostics;

/// <summary>
/// DiagnosticCodes is the one place codes are spelled: no other source file writes one as a literal,
/// README.md's error table and the class agree, and no two constants share a code. Each failure
/// lists every offending code or file, so a merge that brings new codes is fixed from the message.
/// </summary>
[TestClass]
[TestCategory("Unit")]
public sealed partial class DiagnosticCodesTests
{
    const string CodesClassPath = "src/VideoDataset.Core/Diagnostics/DiagnosticCodes.cs";

    [GeneratedRegex(@"VDS\d{4}")]
    private static partial Regex CodePattern();

    [GeneratedRegex(@"^VDS\d{4}$")]
    private static partial Regex CodeValue();

    static List<(string Name, string Value)> Constants() =>
        typeof(DiagnosticCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (f.Name, (string)f.GetRawConstantValue()!))
            .ToList();

    static string NameOf(string code) =>
        Constants().Where(c => c.Value == code).Select(c => "DiagnosticCodes." + c.Name).FirstOrDefault()
        ?? $"a new constant in {CodesClassPath} (and a README.md error-table entry)";

    [TestMethod]
    public void NoSourceFileOtherThanDiagnosticCodesSpellsACode()
    {
        string src = Path.Combine(Repo.Root, "src");
        var files = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Repo.Root, f).Replace('\\', '/'))
            .Where(f => !f.Split('/').Any(part => part is "obj" or "bin"))
            .ToList();
        Assert.IsGreaterThan(50, files.Count, "expected the sources under src/");
        CollectionAssert.Contains(files, CodesClassPath);

        var wrong = new List<string>();
        foreach (string file in files.Where(f => f != CodesClassPath))
            foreach (var (line, text) in StringLiterals(File.ReadAllText(Path.Combine(Repo.Root, file))))
                foreach (Match m in CodePattern().Matches(text))
                    wrong.Add($"{file}({line}): \"{m.Value}\" is a literal; use {NameOf(m.Value)}");
        Assert.IsEmpty(wrong, "diagnostic codes are spelled only in " + CodesClassPath + ":\n" + string.Join("\n", wrong));
    }

    [TestMethod]
    public void StringLiteralScan_FindsCodesInEveryKindOfStringAndNoneInComments()
    {
        // The scan above passes only if it can see a code; this proves it sees one wherever C# can hide it.
        const string source = """"
            // "VDS0001" in a line comment
            /* "VDS0002" in a block comment */
            /// <summary>VDS0003 in a doc comment</summary>
            class C
            {
                char q = '"';
                string a = "VDS1111";
                string b = @"say ""VDS2222""";
                string c = $"{x} VDS3333 {(y ? "VDS4444" : "no")}";
                string d = $@"{{VDS5555}}";
                string e = "escaped \" VDS6666";
                string f = "\\"; string g = "VDS7777";
                string h = $$"""raw {{z}} VDS8888""";
                string i = "";
                string j = "VDS9999";
            }
            #region Let's not start a char literal here
            #endregion
            """";
        var codes = StringLiterals(source).SelectMany(l => CodePattern().Matches(l.Text).Select(m => (l.Line, m.Value))).Order().ToList();
        CollectionAssert.AreEqual(
            new[] { (7, "VDS1111"), (8, "VDS2222"), (9, "VDS3333"), (9, "VDS4444"), (10, "VDS5555"), (11, "VDS6666"), (12, "VDS7777"), (13, "VDS8888"), (15, "VDS9999") },
            codes, string.Join(", ", codes));
    }

    [TestMethod]
    public void ReadmeErrorTableAndDiagnosticCodesAgree()
    {
        var constants = Constants();
        Assert.IsGreaterThan(80, constants.Count);
        var defined = constants.Select(c => c.Value).ToHashSet();
        var rows = ErrorTableRows();
        Assert.IsGreaterThanOrEqualTo(6, rows.Count, "expected README.md's error table under '## Errors'");

        var wrong = new List<string>();
        // Every constant lies in a code or range of some row's Codes column.
        foreach (var (name, value) in constants.OrderBy(c => c.Value, StringComparer.Ordinal))
            if (CodeValue().IsMatch(value) && int.Parse(value.AsSpan(3)) is int n && !rows.Any(r => r.Codes.Any(e => e.Covers(n))))
                wrong.Add($"{value} (DiagnosticCodes.{name}) is covered by no code or range in the Codes column of README.md's error table: add it to a row, e.g. widen a range");

        foreach (var row in rows)
        {
            // A listed code, and each end of a listed range, is a constant.
            foreach (var entry in row.Codes)
                foreach (int n in entry.Ends)
                    if (!defined.Contains(Code(n)))
                        wrong.Add($"README.md's error table row '{row.CodesCell}' lists {Code(n)}, which DiagnosticCodes does not define: add the constant or correct the table");
            // The codes the Area column names in parentheses are constants and belong to this row.
            foreach (var entry in row.Mentions)
                foreach (int n in entry.Ends)
                {
                    if (!defined.Contains(Code(n)))
                        wrong.Add($"README.md's error table row '{row.CodesCell}' names ({n}) in its Area column, but DiagnosticCodes does not define {Code(n)}");
                    else if (!row.Codes.Any(e => e.Covers(n)))
                        wrong.Add($"README.md's error table row '{row.CodesCell}' names ({n}) in its Area column, outside that row's codes");
                }
        }
        Assert.IsEmpty(wrong, "README.md's error table and DiagnosticCodes disagree:\n" + string.Join("\n", wrong));
    }

    [TestMethod]
    public void EveryConstantIsOneDistinctCode()
    {
        var constants = Constants();
        var malformed = constants.Where(c => !CodeValue().IsMatch(c.Value))
            .Select(c => $"DiagnosticCodes.{c.Name} = \"{c.Value}\" is not VDS followed by four digits");
        var shared = constants.GroupBy(c => c.Value).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key} is the value of {string.Join(", ", g.Select(c => "DiagnosticCodes." + c.Name))}: one meaning per code");
        var wrong = malformed.Concat(shared).ToList();
        Assert.IsEmpty(wrong, string.Join("\n", wrong));
    }

    static string Code(int n) => $"VDS{n:D4}";

    /// <summary>One code (First == Last) or an inclusive range of codes.</summary>
    sealed record CodeSpan(int First, int Last)
    {
        public bool Covers(int n) => First <= n && n <= Last;
        public IEnumerable<int> Ends => First == Last ? [First] : [First, Last];
    }

    sealed record TableRow(string CodesCell, List<CodeSpan> Codes, List<CodeSpan> Mentions);

    [GeneratedRegex(@"VDS(\d{4})(?:\s*[–-]\s*(?:VDS)?(\d{4}))?")]
    private static partial Regex CodesCellEntry();

    [GeneratedRegex(@"\(([^()]*)\)")]
    private static partial Regex Parenthesized();

    [GeneratedRegex(@"(?<![\w*])(\d{4})(?:\s*[–-]\s*(\d{4}))?(?!\w)")]
    private static partial Regex MentionEntry();

    static CodeSpan Span(Match m) =>
        new(int.Parse(m.Groups[1].Value), m.Groups[2].Success ? int.Parse(m.Groups[2].Value) : int.Parse(m.Groups[1].Value));

    /// <summary>The rows of the table under README.md's "## Errors": its Codes cell parsed, and the codes its Area cell names in parentheses.</summary>
    static List<TableRow> ErrorTableRows()
    {
        var lines = File.ReadAllLines(Path.Combine(Repo.Root, "README.md"));
        int section = Array.FindIndex(lines, l => l.Trim() == "## Errors");
        Assert.IsGreaterThanOrEqualTo(0, section, "README.md has no '## Errors' section");
        var rows = new List<TableRow>();
        foreach (string line in lines.Skip(section + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)))
        {
            if (!line.StartsWith('|')) continue;
            var cells = line.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (cells.Length < 2 || !cells[0].StartsWith("VDS", StringComparison.Ordinal)) continue; // header and rule
            var codes = CodesCellEntry().Matches(cells[0]).Select(Span).ToList();
            var mentions = Parenthesized().Matches(cells[1]).SelectMany(p => MentionEntry().Matches(p.Groups[1].Value)).Select(Span).ToList();
            rows.Add(new TableRow(cells[0], codes, mentions));
        }
        return rows;
    }

    /// <summary>
    /// The text of every string literal in C# source with the line it starts on: regular, verbatim,
    /// interpolated (the holes' own literals separately) and raw. Comments and char literals are skipped.
    /// </summary>
    static List<(int Line, string Text)> StringLiterals(string source)
    {
        var found = new List<(int Line, string Text)>();
        var scanner = new LiteralScanner(source, found);
        scanner.Code(inHole: false);
        return found;
    }

    sealed class LiteralScanner(string s, List<(int Line, string Text)> found)
    {
        int _i;

        char At(int i) => i < s.Length ? s[i] : '\0';
        int LineAt(int i) => 1 + s.AsSpan(0, Math.Min(i, s.Length)).Count('\n');

        /// <summary>Code up to the end, or up to the '}' closing an interpolation hole.</summary>
        public void Code(bool inHole)
        {
            int depth = 0;
            while (_i < s.Length)
            {
                char c = s[_i];
                if ((c == '/' && At(_i + 1) == '/') || (c == '#' && AtLineStart())) { while (_i < s.Length && s[_i] != '\n') _i++; }
                else if (c == '/' && At(_i + 1) == '*') { int end = s.IndexOf("*/", _i + 2, StringComparison.Ordinal); _i = end < 0 ? s.Length : end + 2; }
                else if (c == '\'') { _i++; while (_i < s.Length && s[_i] != '\'') _i += s[_i] == '\\' ? 2 : 1; _i++; }
                else if (c == '"' || StartsPrefixedString()) StringLiteral();
                else
                {
                    if (inHole && c == '{') depth++;
                    else if (inHole && c == '}') { if (depth == 0) return; depth--; }
                    _i++;
                }
            }
        }

        /// <summary>Only blanks before this on its line: a preprocessor directive, whose text (#region Let's…) is no code.</summary>
        bool AtLineStart()
        {
            for (int j = _i - 1; j >= 0 && s[j] != '\n'; j--)
                if (!char.IsWhiteSpace(s[j])) return false;
            return true;
        }

        bool StartsPrefixedString()
        {
            int j = _i;
            while (At(j) is '$' or '@') j++;
            return j > _i && At(j) == '"';
        }

        void StringLiteral()
        {
            int start = _i, dollars = 0;
            bool verbatim = false;
            for (; s[_i] != '"'; _i++) { if (s[_i] == '$') dollars++; else verbatim = true; }
            int quotes = 0;
            while (At(_i + quotes) == '"') quotes++;
            var text = new StringBuilder();
            if (!verbatim && quotes >= 3)
            {
                // Raw: everything up to the same run of quotes; a hole's text is kept with it, which still shows any code in it.
                _i += quotes;
                int end = s.IndexOf(new string('"', quotes), _i, StringComparison.Ordinal);
                if (end < 0) end = s.Length;
                text.Append(s, _i, end - _i);
                _i = Math.Min(s.Length, end + quotes);
            }
            else
            {
                _i++;
                while (_i < s.Length)
                {
                    char c = s[_i];
                    if (c == '"')
                    {
                        if (verbatim && At(_i + 1) == '"') { text.Append('"'); _i += 2; continue; }
                        _i++;
                        break;
                    }
                    if (c == '\\' && !verbatim) { text.Append(c).Append(At(_i + 1)); _i += 2; continue; }
                    if (dollars > 0 && c == '{')
                    {
                        if (At(_i + 1) == '{') { text.Append('{'); _i += 2; continue; }
                        text.Append(' ');
                        _i++;
                        Code(inHole: true);
                        _i++;
                        continue;
                    }
                    if (dollars > 0 && c == '}' && At(_i + 1) == '}') { text.Append('}'); _i += 2; continue; }
                    text.Append(c);
                    _i++;
                }
            }
            found.Add((LineAt(start), text.ToString()));
        }
    }
}
