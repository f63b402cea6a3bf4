using System.Text.Json;
using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Core.Text;

/// <summary>
/// One added token as transformers' <c>AddedToken</c> holds it. <c>LStrip</c>/<c>RStrip</c> strip whitespace from the
/// text on that side of the token; <c>SingleWord</c> keeps the token only when it stands alone as a word.
/// <c>FromString</c> marks a token given as a plain string, which transformers turns into an AddedToken later.
/// </summary>
internal sealed record T5AddedToken(string Content, bool LStrip = false, bool RStrip = false, bool SingleWord = false,
                                    bool Special = true, bool FromString = false)
{
    public static T5AddedToken Plain(string content) => new(content, FromString: true);
}

/// <summary>
/// What a Hugging Face tokenizer folder's <c>tokenizer_config.json</c>, <c>special_tokens_map.json</c> and
/// <c>added_tokens.json</c> say, resolved as transformers 4.47's <c>from_pretrained</c> resolves them for a slow
/// tokenizer. Every field absent means transformers' T5Tokenizer default.
/// </summary>
internal sealed class T5TokenizerConfig
{
    public const string ConfigFile = "tokenizer_config.json";
    public const string SpecialTokensMapFile = "special_tokens_map.json";
    public const string AddedTokensFile = "added_tokens.json";

    static readonly string[] SpecialTokenKeys =
        ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];

    /// <summary>Where tokenizer_config.json is or would be, for diagnostics.</summary>
    public string ConfigPath { get; private init; } = ConfigFile;

    /// <summary><c>legacy</c>; null (absent) means true, with transformers' warning.</summary>
    public bool? Legacy { get; private set; }
    public int ExtraIds { get; private set; } = 100;
    public bool AddPrefixSpace { get; private set; } = true;
    public bool SplitSpecialTokens { get; private set; }

    /// <summary>The single special tokens by attribute name (<c>eos_token</c>, …), with T5's three defaults.</summary>
    public Dictionary<string, T5AddedToken> SpecialTokens { get; } = new()
    {
        ["eos_token"] = new("</s>"),
        ["unk_token"] = new("<unk>"),
        ["pad_token"] = new("<pad>"),
    };

    /// <summary><c>additional_special_tokens</c>; null when no file names any.</summary>
    public List<T5AddedToken>? AdditionalSpecialTokens { get; private set; }

    /// <summary><c>added_tokens_decoder</c> (or, lacking it, <c>added_tokens.json</c>): id to token.</summary>
    public Dictionary<int, T5AddedToken> AddedTokensDecoder { get; } = [];

    public static T5TokenizerConfig Read(string tokenizerDir)
    {
        var config = new T5TokenizerConfig { ConfigPath = Path.Combine(tokenizerDir, ConfigFile) };
        string configPath = Path.Combine(tokenizerDir, ConfigFile);
        bool hasDecoder = false;
        if (File.Exists(configPath))
            hasDecoder = config.ReadTokenizerConfig(configPath);

        // transformers reads the two legacy files only when tokenizer_config.json has no added_tokens_decoder.
        if (!hasDecoder)
        {
            string mapPath = Path.Combine(tokenizerDir, SpecialTokensMapFile);
            if (File.Exists(mapPath))
                config.ReadSpecialTokensMap(mapPath);
            string addedPath = Path.Combine(tokenizerDir, AddedTokensFile);
            if (File.Exists(addedPath))
                config.ReadAddedTokens(addedPath);
        }
        return config;
    }

    bool ReadTokenizerConfig(string path)
    {
        const string code = DiagnosticCodes.TokenizerConfigInvalid;
        using var document = Parse(path, code);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw Error(code, path, "expected a JSON object");
        bool hasDecoder = false;
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "legacy":
                    Legacy = value.ValueKind switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        JsonValueKind.Null => null,
                        _ => throw Error(code, path, "\"legacy\" must be true, false or null"),
                    };
                    break;
                case "extra_ids":
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int extraIds) || extraIds < 0)
                        throw Error(code, path, "\"extra_ids\" must be a non-negative integer");
                    ExtraIds = extraIds;
                    break;
                case "add_prefix_space":
                    AddPrefixSpace = Bool(value, code, path, property.Name);
                    break;
                case "split_special_tokens":
                    SplitSpecialTokens = Bool(value, code, path, property.Name);
                    break;
                case "additional_special_tokens":
                    if (value.ValueKind != JsonValueKind.Null)
                        AdditionalSpecialTokens = TokenList(value, code, path, property.Name);
                    break;
                case "added_tokens_decoder":
                    if (value.ValueKind != JsonValueKind.Object)
                        throw Error(code, path, "\"added_tokens_decoder\" must be an object of id: token");
                    foreach (var entry in value.EnumerateObject())
                    {
                        if (!int.TryParse(entry.Name, out int id) || id < 0)
                            throw Error(code, path, $"\"added_tokens_decoder\" key \"{entry.Name}\" is no token id");
                        AddedTokensDecoder[id] = Token(entry.Value, code, path, $"added_tokens_decoder.{entry.Name}")
                            ?? throw Error(code, path, $"added_tokens_decoder.{entry.Name} must be a token object");
                    }
                    hasDecoder = true;
                    break;
                default:
                    if (Array.IndexOf(SpecialTokenKeys, property.Name) >= 0)
                        SetSpecialToken(property.Name, value, code, path);
                    break;
            }
        }
        return hasDecoder;
    }

    void ReadSpecialTokensMap(string path)
    {
        const string code = DiagnosticCodes.TokenizerSpecialTokensInvalid;
        using var document = Parse(path, code);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw Error(code, path, "expected a JSON object");
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Name == "additional_special_tokens")
            {
                // Appended to what tokenizer_config.json listed, without repeating a token.
                var list = AdditionalSpecialTokens ?? [];
                foreach (var token in TokenList(property.Value, code, path, property.Name))
                    if (!list.Exists(t => t.Content == token.Content))
                        list.Add(token);
                AdditionalSpecialTokens = list;
            }
            else if (Array.IndexOf(SpecialTokenKeys, property.Name) >= 0)
                SetSpecialToken(property.Name, property.Value, code, path);
        }
    }

    void ReadAddedTokens(string path)
    {
        const string code = DiagnosticCodes.TokenizerAddedTokensInvalid;
        using var document = Parse(path, code);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw Error(code, path, "expected a JSON object of token: id");
        var specials = new HashSet<string>(SpecialTokens.Values.Select(t => t.Content));
        if (AdditionalSpecialTokens is not null)
            specials.UnionWith(AdditionalSpecialTokens.Select(t => t.Content));
        foreach (var entry in document.RootElement.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
                throw Error(code, path, $"the id of \"{entry.Name}\" must be a non-negative integer");
            AddedTokensDecoder[id] = new T5AddedToken(entry.Name, Special: specials.Contains(entry.Name));
        }
    }

    void SetSpecialToken(string key, JsonElement value, string code, string path)
    {
        if (value.ValueKind == JsonValueKind.Null)
            SpecialTokens.Remove(key);
        else
            SpecialTokens[key] = Token(value, code, path, key)!;
    }

    static List<T5AddedToken> TokenList(JsonElement value, string code, string path, string name)
    {
        if (value.ValueKind != JsonValueKind.Array)
            throw Error(code, path, $"\"{name}\" must be a list of tokens");
        return value.EnumerateArray().Select((item, i) => Token(item, code, path, $"{name}[{i}]")!).ToList();
    }

    /// <summary>A token written as a string or as an AddedToken object (<c>{"content": …, "lstrip": …}</c>).</summary>
    static T5AddedToken? Token(JsonElement value, string code, string path, string name)
    {
        if (value.ValueKind == JsonValueKind.String)
            return T5AddedToken.Plain(value.GetString()!);
        if (value.ValueKind != JsonValueKind.Object)
            throw Error(code, path, $"\"{name}\" must be a string or a token object");
        if (!value.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
            throw Error(code, path, $"\"{name}\" has no string \"content\"");
        bool Flag(string flag, bool fallback) =>
            value.TryGetProperty(flag, out var v) ? Bool(v, code, path, $"{name}.{flag}") : fallback;
        return new T5AddedToken(content.GetString()!, Flag("lstrip", false), Flag("rstrip", false),
                                Flag("single_word", false), Flag("special", true));
    }

    static bool Bool(JsonElement value, string code, string path, string name) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Error(code, path, $"\"{name}\" must be true or false"),
    };

    static JsonDocument Parse(string path, string code)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            int line = (int)(e.LineNumber ?? -1) + 1, column = (int)(e.BytePositionInLine ?? -1) + 1;
            throw new DiagnosticException(Diagnostic.Error(code, path, line, column, $"invalid JSON: {e.Message}"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Error(code, path, $"cannot read the file: {e.Message}");
        }
    }

    internal static DiagnosticException Error(string code, string path, string message) =>
        new(Diagnostic.Error(code, path, 0, 0, message));
}
