using System.Text;

namespace VideoDataset.Core.Text;

/// <summary>
/// A SentencePiece unigram model (<c>spiece.model</c>) that encodes exactly as SentencePiece 0.1.97 to 0.2.0 do
/// (<c>spm_encode --output_format=id</c>, <c>sp.encode(text)</c>): the model's own normalizer
/// (<see cref="SentencePieceNormalizer"/>), then SentencePiece's optimized Viterbi search over UTF-8 bytes
/// (<c>Model::EncodeOptimized</c>) with its mixed arithmetic, then its output rules (one id per run of unknown
/// characters, or their bytes' pieces with <c>byte_fallback</c>). Written here rather than taken from
/// Microsoft.ML.Tokenizers because that port sums scores in float where SentencePiece sums in double and
/// stores a float (so it picks the other of two equally scored segmentations of repeated-character runs),
/// keeps characters the model's map deletes (control characters), gives one unknown id per character where
/// SentencePiece gives one per run, and cannot load models without a bos piece (T5's).
/// </summary>
internal sealed class SentencePieceModel
{
    const int ModelTypeUnigram = 1;
    const float UnknownPenalty = 10.0f;   // kUnkPenalty: an unknown character costs the lowest score minus 10

    // ModelProto.SentencePiece.Type
    const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;

    readonly Dictionary<string, int> _pieceIds;
    readonly SentencePieceByteTrie _trie;      // NORMAL, USER_DEFINED and UNUSED pieces, as SentencePiece's trie
    readonly float[] _scores;
    readonly byte[] _types;
    readonly float _maxScore;
    readonly float _unknownScore;
    readonly int[]? _byteIds;                  // <0xNN> piece per byte when byte_fallback is on
    readonly SentencePieceNormalizer _normalizer;

    [ThreadStatic] static Scratch? t_scratch;

    SentencePieceModel(ParsedModel parsed, bool addDummyPrefix)
    {
        var pieces = parsed.Pieces;
        Pieces = pieces.Select(p => p.Text).ToArray();
        _scores = pieces.Select(p => p.Score).ToArray();
        _types = pieces.Select(p => (byte)p.Type).ToArray();

        // InitializePieces: NORMAL, USER_DEFINED and UNUSED pieces form one table, the others a reserved one;
        // a string may not repeat within a table. piece_to_id looks in the reserved table first.
        var normal = new Dictionary<string, int>(StringComparer.Ordinal);
        var reserved = new Dictionary<string, int>(StringComparer.Ordinal);
        int unkId = -1;
        var userDefined = new List<(byte[], int)>();
        for (int i = 0; i < pieces.Count; i++)
        {
            var (text, _, type) = pieces[i];
            if (text.Length == 0)
                throw new InvalidDataException($"piece {i} is empty");
            bool isNormal = type is Normal or UserDefined or Unused;
            if (!(isNormal ? normal : reserved).TryAdd(text, i))
                throw new InvalidDataException($"piece \"{text}\" is defined twice");
            if (type == UserDefined)
                userDefined.Add((Encoding.UTF8.GetBytes(text), i));
            if (type == Unknown)
            {
                if (unkId >= 0)
                    throw new InvalidDataException($"pieces {unkId} and {i} are both of type UNKNOWN");
                unkId = i;
            }
        }
        if (unkId < 0)
            throw new InvalidDataException("no piece is of type UNKNOWN");
        if (normal.Count == 0)
            throw new InvalidDataException("the model has no normal, user-defined or unused piece");
        UnknownId = unkId;
        _pieceIds = new Dictionary<string, int>(normal, StringComparer.Ordinal);
        foreach (var (text, id) in reserved)
            _pieceIds[text] = id;

        if (parsed.ByteFallback)
        {
            _byteIds = new int[256];
            for (int b = 0; b < 256; b++)
                if (!reserved.TryGetValue($"<0x{b:X2}>", out _byteIds[b]) || _types[_byteIds[b]] != Byte)
                    throw new InvalidDataException($"byte_fallback is on but there is no byte piece <0x{b:X2}>");
        }
        else if (Array.IndexOf(_types, (byte)Byte) is int first and >= 0)
            throw new InvalidDataException($"piece {first} is a byte piece but byte_fallback is off");

        // min_score_ and max_score_ start at FLT_MAX and FLT_MIN (the smallest positive float), over NORMAL pieces.
        float min = float.MaxValue, max = 1.17549435E-38f;
        for (int i = 0; i < pieces.Count; i++)
            if (_types[i] == Normal)
            {
                min = Math.Min(min, _scores[i]);
                max = Math.Max(max, _scores[i]);
            }
        _maxScore = max;
        _unknownScore = min - UnknownPenalty;

        _trie = new SentencePieceByteTrie(normal.Select(p => (Encoding.UTF8.GetBytes(p.Key), p.Value)));
        _normalizer = new SentencePieceNormalizer(parsed.PrecompiledCharsmap, addDummyPrefix && parsed.AddDummyPrefix,
            parsed.RemoveExtraWhitespaces, parsed.EscapeWhitespaces, parsed.TreatWhitespaceAsSuffix,
            userDefined.Count > 0 ? new SentencePieceByteTrie(userDefined) : null);
    }

    /// <summary>The piece strings by id; <c>Pieces.Length</c> is SentencePiece's <c>get_piece_size()</c>.</summary>
    public string[] Pieces { get; }

    /// <summary>Id of the piece of type UNKNOWN.</summary>
    public int UnknownId { get; }

    /// <summary>SentencePiece's <c>piece_to_id</c>: the unknown id for a string that is no piece.</summary>
    public int PieceToId(string piece) => _pieceIds.TryGetValue(piece, out int id) ? id : UnknownId;

    /// <summary>
    /// Parses a serialized <c>ModelProto</c>. <paramref name="addDummyPrefix"/> set to false overrides the model's
    /// normalizer the way transformers does for <c>legacy=False</c> (a merged <c>NormalizerSpec</c>).
    /// Throws <see cref="InvalidDataException"/> when the bytes are no SentencePiece unigram model that
    /// SentencePiece would load.
    /// </summary>
    public static SentencePieceModel FromBytes(byte[] modelProto, bool addDummyPrefix = true)
    {
        var parsed = ReadModelProto(modelProto);
        if (parsed.ModelType != ModelTypeUnigram)
            throw new InvalidDataException($"model_type is {parsed.ModelType}, expected 1 (UNIGRAM)");
        return new SentencePieceModel(parsed, addDummyPrefix);
    }

    /// <summary>The ids of <paramref name="text"/> as <c>sp.encode(text)</c> gives them.</summary>
    public List<int> Encode(string text)
    {
        var ids = new List<int>();
        Encode(text, ids);
        return ids;
    }

    /// <summary>Appends the ids of <paramref name="text"/> as <c>sp.encode(text)</c> gives them. A lone surrogate
    /// counts as U+FFFD, the character .NET's UTF-8 encoder writes for it.</summary>
    public void Encode(string text, List<int> ids)
    {
        if (text.Length == 0)
            return;
        var scratch = t_scratch ??= new Scratch();
        int inputLength = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (scratch.Input.Length < inputLength)
            scratch.Input = new byte[Math.Max(inputLength, scratch.Input.Length * 2)];
        inputLength = Encoding.UTF8.GetBytes(text, scratch.Input);
        int length = _normalizer.Normalize(scratch.Input.AsSpan(0, inputLength), ref scratch.Normalized);
        if (length > 0)
            Search(scratch, length, ids);
        if (scratch.Input.Length > Scratch.KeepBytes || scratch.Normalized.Length > Scratch.KeepBytes)
            t_scratch = null;   // one huge text should not pin its buffers to the thread
    }

    /// <summary>
    /// Model::EncodeOptimized: for each character start, in order, every piece starting there (a trie walk)
    /// proposes best-path-to-start + its score for the position where it ends; a better proposal (strictly
    /// greater, so the first of equal ones stays) replaces the stored one. The arithmetic is SentencePiece's:
    /// a piece's score (a user-defined piece's bonus is double) is added to the float best score in double,
    /// compared with the stored float as a double and stored back as a float; a character with no
    /// one-character piece proposes an unknown piece, its score added in float.
    /// </summary>
    void Search(Scratch scratch, int size, List<int> ids)
    {
        scratch.EnsureLattice(size + 1);
        byte[] text = scratch.Normalized;
        float[] bestScore = scratch.BestScore;
        int[] startsAt = scratch.StartsAt, pieceId = scratch.PieceId;
        bestScore[0] = 0;
        Array.Fill(startsAt, -1, 0, size + 1);

        int start = 0;
        while (start < size)
        {
            float scoreHere = bestScore[start];
            bool hasSingleNode = false;
            int charLength = Math.Min(OneCharLength(text[start]), size - start);
            int node = SentencePieceByteTrie.Root;
            for (int end = start + 1; end <= size; end++)
            {
                node = _trie.Next(node, text[end - 1]);
                if (node < 0)
                    break;
                int id = _trie.Value(node);
                if (id < 0 || _types[id] == Unused)
                    continue;
                int length = end - start;
                double score = _types[id] == UserDefined ? (double)(float)(length * _maxScore) - 0.1 : _scores[id];
                double candidate = score + scoreHere;
                if (startsAt[end] == -1 || candidate > bestScore[end])
                {
                    bestScore[end] = (float)candidate;
                    startsAt[end] = start;
                    pieceId[end] = id;
                }
                if (length == charLength)
                    hasSingleNode = true;
            }
            if (!hasSingleNode)
            {
                int end = start + charLength;
                float candidate = (float)(_unknownScore + scoreHere);
                if (startsAt[end] == -1 || candidate > bestScore[end])
                {
                    bestScore[end] = candidate;
                    startsAt[end] = start;
                    pieceId[end] = UnknownId;
                }
            }
            start += charLength;
        }

        // Backtrack from the end, then emit in text order.
        int[] path = scratch.Path;
        int count = 0;
        for (int end = size; end > 0; end = startsAt[end])
            path[count++] = end;
        bool previousUnknown = false;
        for (int k = count - 1; k >= 0; k--)
        {
            int end = path[k], id = pieceId[end];
            bool unknown = id == UnknownId;
            if (unknown && _byteIds is not null)
            {
                // byte_fallback: an unknown character becomes the pieces of its UTF-8 bytes.
                for (int b = startsAt[end]; b < end; b++)
                    ids.Add(_byteIds[text[b]]);
            }
            else if (!(unknown && previousUnknown))
                ids.Add(id);   // a run of unknown pieces is merged into one
            previousUnknown = unknown;
        }
    }

    /// <summary>string_util::OneCharLen: the UTF-8 length its lead byte announces.</summary>
    static int OneCharLength(byte lead) => lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;

    /// <summary>Per-thread buffers, so that encoding allocates nothing once warm.</summary>
    sealed class Scratch
    {
        public const int KeepBytes = 1 << 20;
        public byte[] Input = new byte[256];
        public byte[] Normalized = new byte[256];
        public float[] BestScore = [];
        public int[] StartsAt = [], PieceId = [], Path = [];

        public void EnsureLattice(int size)
        {
            if (BestScore.Length >= size)
                return;
            size = Math.Max(size, BestScore.Length * 2);
            BestScore = new float[size];
            StartsAt = new int[size];
            PieceId = new int[size];
            Path = new int[size];
        }
    }

    sealed class ParsedModel
    {
        public List<(string Text, float Score, int Type)> Pieces { get; } = [];
        // TrainerSpec and NormalizerSpec defaults (sentencepiece_model.proto).
        public int ModelType = 1;
        public bool ByteFallback, TreatWhitespaceAsSuffix;
        public bool AddDummyPrefix = true, RemoveExtraWhitespaces = true, EscapeWhitespaces = true;
        public byte[]? PrecompiledCharsmap;
    }

    static ParsedModel ReadModelProto(byte[] bytes)
    {
        var model = new ParsedModel();
        var reader = new ProtoReader(bytes, 0, bytes.Length);
        // Protobuf merges repeated occurrences of a message field, so a second trainer_spec or normalizer_spec
        // (as a patched model may append) overrides the fields it sets.
        while (reader.Next(out int field, out int wire))
        {
            if (field == 1 && wire == 2)
            {
                var (start, end) = reader.ReadLengthDelimited();
                var piece = new ProtoReader(bytes, start, end);
                string text = "";
                float score = 0;
                int type = Normal;
                while (piece.Next(out int f, out int w))
                {
                    if (f == 1 && w == 2)
                    {
                        var (s, e) = piece.ReadLengthDelimited();
                        text = Encoding.UTF8.GetString(bytes, s, e - s);
                    }
                    else if (f == 2 && w == 5)
                        score = BitConverter.Int32BitsToSingle((int)piece.ReadFixed32());
                    else if (f == 3 && w == 0)
                    {
                        // proto2 keeps an enum value it does not know as an unknown field: the type stays NORMAL.
                        ulong value = piece.ReadVarint();
                        if (value is >= Normal and <= Byte)
                            type = (int)value;
                    }
                    else piece.Skip(w);
                }
                model.Pieces.Add((text, score, type));
            }
            else if (field == 2 && wire == 2)
            {
                var (start, end) = reader.ReadLengthDelimited();
                var trainer = new ProtoReader(bytes, start, end);
                while (trainer.Next(out int f, out int w))
                {
                    if (w != 0) { trainer.Skip(w); continue; }
                    ulong value = trainer.ReadVarint();
                    switch (f)
                    {
                        case 3: model.ModelType = (int)value; break;
                        case 24: model.TreatWhitespaceAsSuffix = value != 0; break;
                        case 35: model.ByteFallback = value != 0; break;
                    }
                }
            }
            else if (field == 3 && wire == 2)
            {
                var (start, end) = reader.ReadLengthDelimited();
                var normalizer = new ProtoReader(bytes, start, end);
                while (normalizer.Next(out int f, out int w))
                {
                    if (f == 2 && w == 2)
                    {
                        var (s, e) = normalizer.ReadLengthDelimited();
                        model.PrecompiledCharsmap = bytes[s..e];
                    }
                    else if (f is 3 or 4 or 5 && w == 0)
                    {
                        bool value = normalizer.ReadVarint() != 0;
                        if (f == 3) model.AddDummyPrefix = value;
                        else if (f == 4) model.RemoveExtraWhitespaces = value;
                        else model.EscapeWhitespaces = value;
                    }
                    else normalizer.Skip(w);
                }
            }
            else reader.Skip(wire);
        }
        if (model.Pieces.Count == 0)
            throw new InvalidDataException("the model holds no pieces");
        return model;
    }

    /// <summary>Just enough of the protobuf wire format to read the fields above and skip the rest.</summary>
    struct ProtoReader(byte[] bytes, int position, int end)
    {
        int _position = position;

        public bool Next(out int field, out int wire)
        {
            field = wire = 0;
            if (_position >= end)
                return false;
            ulong tag = ReadVarint();
            field = (int)(tag >> 3);
            wire = (int)(tag & 7);
            if (field == 0)
                throw new InvalidDataException("field number 0");
            return true;
        }

        public ulong ReadVarint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_position >= end)
                    throw new InvalidDataException("truncated varint");
                byte b = bytes[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                    return value;
            }
            throw new InvalidDataException("varint longer than 10 bytes");
        }

        public (int Start, int End) ReadLengthDelimited()
        {
            ulong length = ReadVarint();
            if (length > (ulong)(end - _position))
                throw new InvalidDataException("length-delimited field runs past its message");
            int start = _position;
            _position += (int)length;
            return (start, _position);
        }

        public uint ReadFixed32()
        {
            Advance(4);
            return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(_position - 4));
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: ReadVarint(); break;
                case 1: Advance(8); break;
                case 2: ReadLengthDelimited(); break;
                case 5: Advance(4); break;
                default: throw new InvalidDataException($"unsupported wire type {wire}");
            }
        }

        void Advance(int count)
        {
            if (count > end - _position)
                throw new InvalidDataException("fixed-size field runs past its message");
            _position += count;
        }
    }
}
