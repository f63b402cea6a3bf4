using System.Security.Cryptography;
using System.Text;
using VideoDataset.Core.Diagnostics;

namespace VideoDataset.Core.Text;

/// <summary>
/// The text side of CogVideoX: ids equal, id for id, to transformers 4.47's slow <c>T5Tokenizer</c> loaded from a
/// tokenizer folder, after <c>add_special_tokens({"additional_special_tokens": ["&lt;end_scene&gt;", "&lt;start_scene&gt;"]})</c>,
/// called as the CogVideoX pipeline calls it (<c>padding="max_length", truncation=True, add_special_tokens=True</c>).
/// Rules, in transformers' order: added tokens are cut out of the text (<see cref="T5TokenizerTrie"/>) and strip the
/// whitespace beside them when their lstrip/rstrip flags say so; each remaining chunk is SentencePiece-encoded
/// on its own (in legacy mode each gets the dummy prefix); <c>&lt;/s&gt;</c> is appended unless it is already last;
/// truncation keeps room for it; padding is <c>&lt;pad&gt;</c> on the right.
/// </summary>
public sealed class T5Tokenizer
{
    public const string ModelFile = "spiece.model";
    const char SpieceUnderline = '\u2581';

    /// <summary>The tokens the dataset adds; <c>&lt;end_scene&gt;</c> first, as the reference added them.</summary>
    public static readonly IReadOnlyList<string> SceneTokens = ["<end_scene>", "<start_scene>"];

    /// <summary>Every file whose bytes define tokenization, in the order the fingerprint hashes them.</summary>
    static readonly string[] DefinitionFiles =
        [ModelFile, T5TokenizerConfig.ConfigFile, T5TokenizerConfig.SpecialTokensMapFile, T5TokenizerConfig.AddedTokensFile];

    readonly SentencePieceModel _sp;
    readonly bool _legacy;
    readonly bool _addPrefixSpace;
    readonly bool _splitSpecialTokens;
    readonly Dictionary<string, int> _addedIds;           // transformers' _added_tokens_encoder
    readonly Dictionary<int, T5AddedToken> _addedTokens;  // transformers' _added_tokens_decoder
    readonly HashSet<string> _allSpecialTokens;
    readonly T5TokenizerTrie _trie;
    readonly int[] _pieceIdToId;                          // a piece whose string is an added token takes its id
    readonly string _unkToken;
    readonly int _unkTokenLength;
    readonly int _underlineId;

    T5Tokenizer(SentencePieceModel sp, T5TokenizerConfig config, string fingerprint)
    {
        _sp = sp;
        _legacy = config.Legacy ?? true;
        _addPrefixSpace = config.AddPrefixSpace;
        _splitSpecialTokens = config.SplitSpecialTokens;
        Fingerprint = fingerprint;
        (_addedTokens, _addedIds, _allSpecialTokens) = BuildAddedTokens(sp, config);
        VocabularySize = CurrentVocabulary(sp, _addedTokens, _addedIds).Count;

        // transformers adds every token ever registered to its trie and never removes one: the encoder keys.
        _trie = new T5TokenizerTrie(_addedIds.Keys);
        _pieceIdToId = new int[sp.Pieces.Length];
        for (int i = 0; i < _pieceIdToId.Length; i++)
            _pieceIdToId[i] = _addedIds.TryGetValue(sp.Pieces[i], out int added) ? added : i;

        EosId = TokenToId(config.SpecialTokens["eos_token"].Content);
        PadId = TokenToId(config.SpecialTokens["pad_token"].Content);
        _unkToken = config.SpecialTokens.TryGetValue("unk_token", out var unk) ? unk.Content : "<unk>";
        UnkId = TokenToId(_unkToken);
        _underlineId = Array.IndexOf(sp.Pieces, SpieceUnderline.ToString());
        // transformers' unk_token_length: how many pieces the unk token's text encodes to (no dummy prefix here).
        _unkTokenLength = _legacy ? 0 : sp.Encode(_unkToken).Count;
    }

    /// <summary>Id of <c>&lt;/s&gt;</c>, appended to every text.</summary>
    public int EosId { get; }

    /// <summary>Id of <c>&lt;pad&gt;</c>, the right padding.</summary>
    public int PadId { get; }

    public int UnkId { get; }

    /// <summary>Number of SentencePiece pieces (<c>sp_model.get_piece_size()</c>).</summary>
    public int SentencePieceSize => _sp.Pieces.Length;

    /// <summary><c>len(tokenizer)</c>: pieces, extra ids and added tokens (sp size + 102 for a T5 folder).</summary>
    public int VocabularySize { get; }

    /// <summary>Whether text right after an added token gets the dummy prefix (transformers' <c>legacy</c>).</summary>
    public bool Legacy => _legacy;

    /// <summary>SHA-256 (lowercase hex) over every file that defines tokenization; see <see cref="ComputeFingerprint"/>.</summary>
    public string Fingerprint { get; }

    /// <summary>
    /// Loads a tokenizer folder: <c>spiece.model</c>, and <c>tokenizer_config.json</c>, <c>special_tokens_map.json</c>,
    /// <c>added_tokens.json</c> when present. Problems throw <see cref="DiagnosticException"/>: VDS3101 no spiece.model,
    /// VDS3102 spiece.model is no SentencePiece unigram model, VDS3103/VDS3104/VDS3105 a bad
    /// tokenizer_config.json/special_tokens_map.json/added_tokens.json.
    /// </summary>
    public static T5Tokenizer Load(string tokenizerDir)
    {
        string modelPath = Path.GetFullPath(Path.Combine(tokenizerDir, ModelFile));
        if (!File.Exists(modelPath))
            throw T5TokenizerConfig.Error(DiagnosticCodes.TokenizerModelMissing, modelPath,
                $"the tokenizer folder has no {ModelFile} (SentencePiece model of a T5 tokenizer)");
        var config = T5TokenizerConfig.Read(Path.GetFullPath(tokenizerDir));
        // Without them transformers cannot append </s> or pad to max_length.
        foreach (string required in new[] { "eos_token", "pad_token" })
            if (!config.SpecialTokens.ContainsKey(required))
                throw T5TokenizerConfig.Error(DiagnosticCodes.TokenizerConfigInvalid, config.ConfigPath, $"\"{required}\" is null: T5 needs it");
        byte[] modelBytes;
        try
        {
            modelBytes = File.ReadAllBytes(modelPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw T5TokenizerConfig.Error(DiagnosticCodes.TokenizerModelInvalid, modelPath, $"cannot read the SentencePiece model: {e.Message}");
        }
        SentencePieceModel sp;
        try
        {
            // legacy=False loads the model with the dummy prefix switched off, as transformers does.
            sp = SentencePieceModel.FromBytes(modelBytes, addDummyPrefix: config.Legacy ?? true);
        }
        catch (InvalidDataException e)
        {
            throw T5TokenizerConfig.Error(DiagnosticCodes.TokenizerModelInvalid, modelPath, $"not a valid SentencePiece unigram model: {e.Message}");
        }
        return new T5Tokenizer(sp, config, ComputeFingerprint(tokenizerDir));
    }

    /// <summary>
    /// SHA-256 over the name, length and bytes of each present file among spiece.model, tokenizer_config.json,
    /// special_tokens_map.json and added_tokens.json (and a marker for each absent one). Needs no model loaded,
    /// so staleness checks can call it alone.
    /// </summary>
    public static string ComputeFingerprint(string tokenizerDir)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string name in DefinitionFiles)
        {
            string path = Path.Combine(tokenizerDir, name);
            hash.AppendData(Encoding.UTF8.GetBytes(name + "\0"));
            if (!File.Exists(path))
            {
                hash.AppendData("absent\0"u8);
                continue;
            }
            byte[] bytes = File.ReadAllBytes(path);
            hash.AppendData(BitConverter.GetBytes((long)bytes.Length));
            hash.AppendData(bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Exactly <paramref name="maxLength"/> ids: the text's ids truncated to leave room for <c>&lt;/s&gt;</c>,
    /// <c>&lt;/s&gt;</c> appended unless already last, then <c>&lt;pad&gt;</c> up to the length.
    /// </summary>
    public int[] Encode(string text, int maxLength)
    {
        // transformers cannot truncate to fewer than 2 (it logs an error and returns more than max_length).
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        var ids = TokenizeToIds(text);
        // prepare_for_model: len(ids) + 1 special token > max_length removes the excess from the right.
        if (ids.Count + 1 > maxLength)
            ids.RemoveRange(maxLength - 1, ids.Count - (maxLength - 1));
        AddEosIfNotPresent(ids);
        var result = new int[maxLength];
        ids.CopyTo(result);
        Array.Fill(result, PadId, ids.Count, maxLength - ids.Count);
        return result;
    }

    /// <summary>The text's ids with <c>&lt;/s&gt;</c> appended unless already last; no truncation, no padding.</summary>
    public int[] EncodeUnpadded(string text)
    {
        var ids = TokenizeToIds(text);
        AddEosIfNotPresent(ids);
        return ids.ToArray();
    }

    /// <summary><c>convert_tokens_to_ids</c> for one token: an added token's id, else the piece's, else unk.</summary>
    public int TokenToId(string token) => _addedIds.TryGetValue(token, out int id) ? id : _sp.PieceToId(token);

    void AddEosIfNotPresent(List<int> ids)
    {
        // T5Tokenizer._add_eos_if_not_present: a text that already ends in </s> gets no second one.
        if (ids.Count == 0 || ids[^1] != EosId)
            ids.Add(EosId);
    }

    /// <summary><c>tokenizer.tokenize</c> then <c>convert_tokens_to_ids</c>, without special tokens added.</summary>
    internal List<int> TokenizeToIds(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        if (text.Length == 0)
            return ids;
        if (!_legacy)
        {
            text = text.Replace(SpieceUnderline, ' ');
            if (_addPrefixSpace)
                text = SpieceUnderline + text;
        }

        var parts = _splitSpecialTokens ? [text] : _trie.Split(text);
        StripAroundAddedTokens(parts);

        int firstFromSp = -1;     // the first output id when it came from SentencePiece, for the legacy=False rule
        string? secondAdded = null;
        foreach (string part in parts)
        {
            if (part.Length == 0)
                continue;
            if (!_splitSpecialTokens && _addedIds.TryGetValue(part, out int addedId))
            {
                if (ids.Count == 1)
                    secondAdded = part;
                ids.Add(addedId);
                continue;
            }
            int before = ids.Count;
            EncodeChunk(part, ids);
            for (int i = before; i < ids.Count; i++)
                ids[i] = _pieceIdToId[ids[i]];
            if (before == 0 && ids.Count > 0)
                firstFromSp = ids[0];
        }

        // T5Tokenizer.tokenize (legacy=False): a lone "▁" before a special token is dropped.
        if (!_legacy && ids.Count > 1 && firstFromSp >= 0 && firstFromSp == _underlineId && _underlineId >= 0
            && secondAdded is not null && _allSpecialTokens.Contains(secondAdded))
            ids.RemoveAt(0);
        return ids;
    }

    /// <summary>T5Tokenizer._tokenize: one chunk of text between added tokens.</summary>
    void EncodeChunk(string chunk, List<int> ids)
    {
        if (_legacy || !(chunk[0] == SpieceUnderline || chunk[0] == ' '))
        {
            _sp.Encode(chunk, ids);
            return;
        }
        // Without the dummy prefix SentencePiece would drop the leading whitespace: transformers encodes
        // unk_token + chunk and removes the unk token's pieces.
        var withUnk = _sp.Encode(_unkToken + chunk);
        ids.AddRange(withUnk.Count >= _unkTokenLength ? withUnk.Skip(_unkTokenLength) : withUnk);
    }

    /// <summary>PreTrainedTokenizer.tokenize's pass over the parts: an added token's lstrip/rstrip flags strip
    /// the whitespace of the text before/after it, single_word glues it to a word it touches.</summary>
    void StripAroundAddedTokens(List<string> parts)
    {
        if (_splitSpecialTokens)
            return;
        for (int i = 0; i < parts.Count; i++)
        {
            if (!_addedIds.TryGetValue(parts[i], out int id) || !_addedTokens.TryGetValue(id, out var token))
                continue;
            string? left = i > 0 ? parts[i - 1] : null;
            string? right = i < parts.Count - 1 ? parts[i + 1] : null;
            if (token.RStrip && !string.IsNullOrEmpty(right))
                parts[i + 1] = PythonStrip(right, left: true);
            if (token.LStrip && !string.IsNullOrEmpty(left))
                parts[i - 1] = PythonStrip(left, left: false);
            if (token.SingleWord && !string.IsNullOrEmpty(left) && left[^1] != ' ')
            {
                parts[i - 1] += parts[i];
                parts[i] = "";
            }
            else if (token.SingleWord && !string.IsNullOrEmpty(right) && right[0] != ' ')
            {
                parts[i + 1] = parts[i] + parts[i + 1];
                parts[i] = "";
            }
        }
    }

    /// <summary>Python's <c>str.lstrip()</c>/<c>str.rstrip()</c>: .NET whitespace plus U+001C..U+001F.</summary>
    static string PythonStrip(string text, bool left)
    {
        static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001c' and <= '\u001f';
        int start = 0, end = text.Length;
        if (left)
            while (start < end && IsSpace(text[start])) start++;
        else
            while (end > start && IsSpace(text[end - 1])) end--;
        return text[start..end];
    }

    /// <summary>
    /// The added tokens as transformers 4.47 ends up with them: T5Tokenizer.__init__ registers the extra ids
    /// (in reverse, lstrip and rstrip), added_tokens_decoder from the folder overrides them, the special tokens not
    /// yet known are added, then add_special_tokens adds the scene tokens (replacing additional_special_tokens).
    /// </summary>
    static (Dictionary<int, T5AddedToken>, Dictionary<string, int>, HashSet<string>) BuildAddedTokens(
        SentencePieceModel sp, T5TokenizerConfig config)
    {
        int spSize = sp.Pieces.Length, extraIds = config.ExtraIds;
        var additional = config.AdditionalSpecialTokens is null ? null : new List<T5AddedToken>(config.AdditionalSpecialTokens);
        int extraCount;
        if (additional is null)
        {
            additional = [.. Enumerable.Range(0, extraIds).Select(i => T5AddedToken.Plain($"<extra_id_{i}>"))];
            extraCount = extraIds;
        }
        else
        {
            extraCount = additional.Count(t => t.Content.Contains("<extra_id_", StringComparison.Ordinal));
            if (extraCount < 1)
                additional.AddRange(Enumerable.Range(0, extraIds).Select(i => T5AddedToken.Plain($"<extra_id_{i}>")));
            else if (extraIds > 0 && extraIds != extraCount)
                throw T5TokenizerConfig.Error(DiagnosticCodes.TokenizerConfigInvalid, config.ConfigPath,
                    $"additional_special_tokens holds {extraCount} <extra_id_N> tokens but extra_ids is {extraIds}");
        }

        var decoder = new Dictionary<int, T5AddedToken>();
        for (int i = 0; i < extraCount; i++)
            decoder[spSize - 1 + extraIds - i] = new T5AddedToken($"<extra_id_{i}>", LStrip: true, RStrip: true);
        foreach (var (id, token) in config.AddedTokensDecoder)
            decoder[id] = token;
        var encoder = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (id, token) in decoder)
            encoder[token.Content] = id;

        // PreTrainedTokenizer.__init__: all_special_tokens_extended (attribute order, then the additional ones).
        var specials = new List<T5AddedToken>();
        foreach (string key in new[] { "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token" })
            if (config.SpecialTokens.TryGetValue(key, out var token))
                specials.Add(token);
        specials.AddRange(additional);
        var seen = new HashSet<string>();
        AddTokens(sp, decoder, encoder, specials.Where(t => seen.Add(t.Content) && !encoder.ContainsKey(t.Content)));

        // add_special_tokens({"additional_special_tokens": [...]}): AddedToken(lstrip=False, rstrip=False).
        AddTokens(sp, decoder, encoder, SceneTokens.Select(t => new T5AddedToken(t)));

        var allSpecial = new HashSet<string>(config.SpecialTokens.Values.Select(t => t.Content), StringComparer.Ordinal);
        allSpecial.UnionWith(SceneTokens);
        return (decoder, encoder, allSpecial);
    }

    /// <summary>PreTrainedTokenizer._add_tokens(special_tokens=True): a token already in the vocabulary keeps its
    /// id (taking the new flags), a new one gets the next id.</summary>
    static void AddTokens(SentencePieceModel sp, Dictionary<int, T5AddedToken> decoder, Dictionary<string, int> encoder,
                          IEnumerable<T5AddedToken> tokens)
    {
        var vocabulary = CurrentVocabulary(sp, decoder, encoder);
        int next = vocabulary.Count;
        foreach (var candidate in tokens.ToList())
        {
            if (candidate.Content.Length == 0)
                continue;
            if (candidate.FromString && encoder.ContainsKey(candidate.Content))
                continue;
            var token = candidate.FromString ? new T5AddedToken(candidate.Content) : candidate;
            if (!vocabulary.TryGetValue(token.Content, out int id))
            {
                id = next++;
                vocabulary[token.Content] = id;
            }
            decoder[id] = token;
            encoder[token.Content] = id;
        }
    }

    /// <summary>T5Tokenizer.get_vocab: piece (or the added token at that id) for each sp id, then the added tokens.</summary>
    static Dictionary<string, int> CurrentVocabulary(SentencePieceModel sp, Dictionary<int, T5AddedToken> decoder,
                                                     Dictionary<string, int> encoder)
    {
        var vocabulary = new Dictionary<string, int>(sp.Pieces.Length + encoder.Count, StringComparer.Ordinal);
        for (int i = 0; i < sp.Pieces.Length; i++)
            vocabulary[decoder.TryGetValue(i, out var token) ? token.Content : sp.Pieces[i]] = i;
        foreach (var (content, id) in encoder)
            vocabulary[content] = id;
        return vocabulary;
    }
}
