using System.Text;
using Microsoft.ML.Tokenizers;

namespace VideoDataset.Core.Text;

/// <summary>
/// A SentencePiece unigram model (<c>spiece.model</c>) that encodes exactly as the real SentencePiece
/// (<c>spm_encode --output_format=id</c>). Viterbi segmentation and the precompiled normalization come from
/// Microsoft.ML.Tokenizers; this class fixes that library's two departures from SentencePiece:
/// it throws on models trained with <c>bos_id=-1</c> (T5's layout), and it emits one <c>&lt;unk&gt;</c> per unknown
/// character where SentencePiece merges each run of unknown pieces into one.
/// </summary>
internal sealed class SentencePieceModel
{
    const int ModelTypeUnigram = 1;

    readonly SentencePieceTokenizer _tokenizer;
    readonly Dictionary<string, int> _pieceIds;

    SentencePieceModel(SentencePieceTokenizer tokenizer, string[] pieces, int unkId)
    {
        _tokenizer = tokenizer;
        Pieces = pieces;
        UnknownId = unkId;
        var ids = new Dictionary<string, int>(pieces.Length, StringComparer.Ordinal);
        for (int i = 0; i < pieces.Length; i++)
            ids.TryAdd(pieces[i], i);
        _pieceIds = ids;
    }

    /// <summary>The piece strings by id; <c>Pieces.Length</c> is SentencePiece's <c>get_piece_size()</c>.</summary>
    public string[] Pieces { get; }

    public int UnknownId { get; }

    /// <summary>SentencePiece's <c>piece_to_id</c>: the unknown id for a string that is no piece.</summary>
    public int PieceToId(string piece) => _pieceIds.TryGetValue(piece, out int id) ? id : UnknownId;

    /// <summary>
    /// Parses a serialized <c>ModelProto</c>. <paramref name="addDummyPrefix"/> set to false overrides the model's
    /// normalizer the way transformers does for <c>legacy=False</c> (a merged <c>NormalizerSpec</c>).
    /// Throws <see cref="InvalidDataException"/> when the bytes are no SentencePiece unigram model.
    /// </summary>
    public static SentencePieceModel FromBytes(byte[] modelProto, bool addDummyPrefix = true)
    {
        var (pieces, spec) = ReadModelProto(modelProto);
        if (spec.ModelType != ModelTypeUnigram)
            throw new InvalidDataException($"model_type is {spec.ModelType}, expected 1 (UNIGRAM)");
        if (spec.UnkId < 0 || spec.UnkId >= pieces.Length)
            throw new InvalidDataException($"unk_id {spec.UnkId} is outside the {pieces.Length} pieces");

        // Protobuf merges repeated occurrences of a message field, so appending a second trainer_spec or
        // normalizer_spec overrides single fields without re-serializing the model.
        using var patched = new MemoryStream();
        patched.Write(modelProto);
        if (spec.BosId < 0)
        {
            // The library indexes the piece table with bos_id unconditionally. Any control piece will do: the
            // tokenizer is created with addBeginningOfSentence=false, so it is never emitted.
            int standIn = spec.EosId >= 0 && spec.EosId < pieces.Length ? spec.EosId : spec.UnkId;
            WriteSubmessage(patched, fieldNumber: 2, inner => WriteVarintField(inner, 41, (ulong)standIn));
        }
        if (!addDummyPrefix)
            WriteSubmessage(patched, fieldNumber: 3, inner => WriteVarintField(inner, 3, 0));
        patched.Position = 0;

        SentencePieceTokenizer tokenizer;
        try
        {
            tokenizer = SentencePieceTokenizer.Create(patched, addBeginningOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"not a loadable SentencePiece model ({e.GetType().Name}: {e.Message})", e);
        }
        return new SentencePieceModel(tokenizer, pieces, spec.UnkId);
    }

    /// <summary>Appends the ids of <paramref name="text"/> as <c>sp.encode(text)</c> gives them.</summary>
    public void Encode(string text, List<int> ids)
    {
        if (text.Length == 0)
            return;
        int first = ids.Count;
        foreach (int id in _tokenizer.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false))
        {
            // SentencePiece merges each run of unknown pieces into one piece after Viterbi (within one call:
            // a previous chunk's trailing <unk> stays separate).
            if (id == UnknownId && ids.Count > first && ids[^1] == UnknownId)
                continue;
            ids.Add(id);
        }
    }

    /// <summary>The ids of <paramref name="text"/> as <c>sp.encode(text)</c> gives them.</summary>
    public List<int> Encode(string text)
    {
        var ids = new List<int>();
        Encode(text, ids);
        return ids;
    }

    sealed record Spec(int ModelType, int UnkId, int BosId, int EosId);

    static (string[] Pieces, Spec Spec) ReadModelProto(byte[] bytes)
    {
        var pieces = new List<string>();
        // TrainerSpec defaults (sentencepiece_model.proto): UNIGRAM, unk 0, bos 1, eos 2.
        int modelType = 1, unkId = 0, bosId = 1, eosId = 2;
        var reader = new ProtoReader(bytes, 0, bytes.Length);
        while (reader.Next(out int field, out int wire))
        {
            if (field == 1 && wire == 2)
            {
                var (start, end) = reader.ReadLengthDelimited();
                var piece = new ProtoReader(bytes, start, end);
                string text = "";
                while (piece.Next(out int f, out int w))
                {
                    if (f == 1 && w == 2)
                    {
                        var (s, e) = piece.ReadLengthDelimited();
                        text = Encoding.UTF8.GetString(bytes, s, e - s);
                    }
                    else piece.Skip(w);
                }
                pieces.Add(text);
            }
            else if (field == 2 && wire == 2)
            {
                var (start, end) = reader.ReadLengthDelimited();
                var trainer = new ProtoReader(bytes, start, end);
                while (trainer.Next(out int f, out int w))
                {
                    if (w != 0) { trainer.Skip(w); continue; }
                    int value = (int)trainer.ReadVarint();
                    switch (f)
                    {
                        case 3: modelType = value; break;
                        case 40: unkId = value; break;
                        case 41: bosId = value; break;
                        case 42: eosId = value; break;
                    }
                }
            }
            else reader.Skip(wire);
        }
        if (pieces.Count == 0)
            throw new InvalidDataException("the model holds no pieces");
        return (pieces.ToArray(), new Spec(modelType, unkId, bosId, eosId));
    }

    static void WriteSubmessage(Stream output, int fieldNumber, Action<Stream> writeInner)
    {
        using var inner = new MemoryStream();
        writeInner(inner);
        WriteVarint(output, (ulong)(fieldNumber << 3 | 2));
        WriteVarint(output, (ulong)inner.Length);
        inner.WriteTo(output);
    }

    static void WriteVarintField(Stream output, int fieldNumber, ulong value)
    {
        WriteVarint(output, (ulong)(fieldNumber << 3));
        WriteVarint(output, value);
    }

    static void WriteVarint(Stream output, ulong value)
    {
        while (value >= 0x80)
        {
            output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        output.WriteByte((byte)value);
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
