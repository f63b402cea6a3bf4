using System.Buffers.Binary;

namespace VideoDataset.Core.Text;

/// <summary>
/// SentencePiece's normalizer (<c>normalizer.cc</c>) driven by a model's <c>NormalizerSpec</c>, on UTF-8 bytes.
/// The rules come only from the spec's <c>precompiled_charsmap</c>: a little-endian uint32 size, a darts-clone
/// double-array trie of that many bytes whose leaves point into the string blob after it (NUL-terminated
/// replacements; an empty one deletes). At each position the longest matching key is replaced; text with no
/// matching key is copied one character at a time. The spec's <c>name</c> is not consulted when encoding (the
/// map is what the trainer compiled from it), so a model without a map, <c>identity</c> or not, copies the text.
/// Around that, the spec's flags: <c>remove_extra_whitespaces</c> drops leading and trailing spaces and
/// collapses runs, <c>add_dummy_prefix</c> puts one space in front (behind with
/// <c>treat_whitespace_as_suffix</c>), <c>escape_whitespaces</c> writes each space as U+2581.
/// </summary>
internal sealed class SentencePieceNormalizer
{
    static readonly byte[] SpaceSymbol = [0xE2, 0x96, 0x81];   // U+2581, SentencePiece's kSpaceSymbol
    static readonly byte[] ReplacementCharacter = [0xEF, 0xBF, 0xBD];

    readonly uint[]? _units;              // the double array, null without a precompiled map
    readonly byte[] _replacements = [];   // the NUL-terminated strings the leaves point into
    readonly SentencePieceByteTrie? _userDefined;

    public SentencePieceNormalizer(byte[]? precompiledCharsmap, bool addDummyPrefix, bool removeExtraWhitespaces,
                                   bool escapeWhitespaces, bool treatWhitespaceAsSuffix,
                                   SentencePieceByteTrie? userDefinedSymbols)
    {
        AddDummyPrefix = addDummyPrefix;
        RemoveExtraWhitespaces = removeExtraWhitespaces;
        EscapeWhitespaces = escapeWhitespaces;
        TreatWhitespaceAsSuffix = treatWhitespaceAsSuffix;
        _userDefined = userDefinedSymbols;
        if (precompiledCharsmap is { Length: > 0 } blob)
        {
            // DecodePrecompiledCharsMap's checks.
            if (blob.Length <= 4)
                throw new InvalidDataException("precompiled_charsmap is broken (shorter than its size field)");
            uint trieSize = BinaryPrimitives.ReadUInt32LittleEndian(blob);
            if (trieSize > (uint)blob.Length - 4)
                throw new InvalidDataException($"precompiled_charsmap is broken (trie of {trieSize} bytes in a {blob.Length}-byte map)");
            int unitCount = (int)trieSize / 4;
            if (unitCount == 0)
                throw new InvalidDataException("precompiled_charsmap is broken (empty trie)");
            _units = new uint[unitCount];
            for (int i = 0; i < unitCount; i++)
                _units[i] = BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(4 + 4 * i));
            _replacements = blob[(4 + (int)trieSize)..];
        }
    }

    public bool AddDummyPrefix { get; }
    public bool RemoveExtraWhitespaces { get; }
    public bool EscapeWhitespaces { get; }
    public bool TreatWhitespaceAsSuffix { get; }

    /// <summary>
    /// Normalizes <paramref name="input"/> (valid UTF-8) into <paramref name="output"/> from index 0, growing it as
    /// needed, and returns the normalized length. Normalizer::Normalize step for step.
    /// </summary>
    public int Normalize(ReadOnlySpan<byte> input, ref byte[] output)
    {
        int length = 0;
        if (input.IsEmpty)
            return 0;
        int position = 0;
        if (RemoveExtraWhitespaces)
        {
            // Leading text that normalizes to exactly one space is dropped (a deleted character stops this).
            while (position < input.Length)
            {
                var piece = NormalizePrefix(input[position..], out int consumed);
                if (piece.Length != 1 || piece[0] != (byte)' ')
                    break;
                position += consumed;
            }
        }
        if (position == input.Length)
            return 0;

        if (!TreatWhitespaceAsSuffix && AddDummyPrefix)
            AppendSpace(ref output, ref length);

        bool isPrevSpace = RemoveExtraWhitespaces;
        while (position < input.Length)
        {
            var piece = NormalizePrefix(input[position..], out int consumed);
            if (isPrevSpace)
                while (!piece.IsEmpty && piece[0] == (byte)' ')
                    piece = piece[1..];
            if (!piece.IsEmpty)
            {
                foreach (byte b in piece)
                {
                    if (EscapeWhitespaces && b == (byte)' ')
                        Append(ref output, ref length, SpaceSymbol);
                    else
                        Append(ref output, ref length, b);
                }
                isPrevSpace = piece[^1] == (byte)' ';
            }
            position += consumed;
            if (!RemoveExtraWhitespaces)
                isPrevSpace = false;
        }

        if (RemoveExtraWhitespaces)
        {
            // Trailing spaces go, including a U+2581 the text held itself when spaces are escaped.
            ReadOnlySpan<byte> space = EscapeWhitespaces ? SpaceSymbol : " "u8;
            while (output.AsSpan(0, length).EndsWith(space))
                length -= space.Length;
        }

        if (TreatWhitespaceAsSuffix && AddDummyPrefix)
            AppendSpace(ref output, ref length);
        return length;
    }

    /// <summary>NormalizePrefix: the replacement of the longest rule matching at the start of
    /// <paramref name="input"/> (a user-defined symbol is kept as it is), else the first character itself.</summary>
    ReadOnlySpan<byte> NormalizePrefix(ReadOnlySpan<byte> input, out int consumed)
    {
        if (_userDefined is not null)
        {
            int matched = _userDefined.LongestPrefix(input);
            if (matched > 0)
            {
                consumed = matched;
                return input[..matched];
            }
        }

        if (_units is not null)
        {
            int longestLength = 0, longestValue = 0;
            CommonPrefixSearch(input, ref longestLength, ref longestValue);
            if (longestLength > 0)
            {
                consumed = longestLength;
                if ((uint)longestValue >= (uint)_replacements.Length)
                    throw new InvalidDataException($"precompiled_charsmap is broken (rule points at byte {longestValue} of a {_replacements.Length}-byte blob)");
                var rest = _replacements.AsSpan(longestValue);
                int end = rest.IndexOf((byte)0);
                return end < 0 ? rest : rest[..end];
            }
        }

        consumed = Utf8CharLength(input);
        if (consumed > 0)
            return input[..consumed];
        // Malformed UTF-8 (which a .NET string never encodes to) becomes U+FFFD for one byte.
        consumed = 1;
        return ReplacementCharacter;
    }

    /// <summary>darts-clone's commonPrefixSearch from the root, keeping the longest key that matched (the first of
    /// equal lengths, which cannot differ in a well-formed trie).</summary>
    void CommonPrefixSearch(ReadOnlySpan<byte> key, ref int longestLength, ref int longestValue)
    {
        var units = _units!;
        uint nodePos = 0;
        uint unit = units[0];
        nodePos ^= Offset(unit);
        for (int i = 0; i < key.Length; i++)
        {
            byte label = key[i];
            nodePos ^= label;
            if (nodePos >= (uint)units.Length)
                return;   // only a malformed map leads outside its array
            unit = units[nodePos];
            if ((unit & ((1u << 31) | 0xFF)) != label)
                return;
            nodePos ^= Offset(unit);
            if (((unit >> 8) & 1) == 1)
            {
                if (nodePos >= (uint)units.Length)
                    return;
                if (longestLength == 0 || i + 1 > longestLength)
                {
                    longestLength = i + 1;
                    longestValue = (int)(units[nodePos] & ((1u << 31) - 1));
                }
            }
        }
    }

    static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);

    /// <summary>Length of the UTF-8 character at the start, 0 when it is malformed (string_util::DecodeUTF8).</summary>
    internal static int Utf8CharLength(ReadOnlySpan<byte> s)
    {
        byte b0 = s[0];
        if (b0 < 0x80)
            return 1;
        static bool Trail(byte b) => (b & 0xC0) == 0x80;
        static bool Valid(int cp) => cp < 0xD800 || (cp >= 0xE000 && cp < 0x110000);
        if (s.Length >= 2 && (b0 & 0xE0) == 0xC0)
        {
            int cp = ((b0 & 0x1F) << 6) | (s[1] & 0x3F);
            return Trail(s[1]) && cp >= 0x80 && Valid(cp) ? 2 : 0;
        }
        if (s.Length >= 3 && (b0 & 0xF0) == 0xE0)
        {
            int cp = ((b0 & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F);
            return Trail(s[1]) && Trail(s[2]) && cp >= 0x800 && Valid(cp) ? 3 : 0;
        }
        if (s.Length >= 4 && (b0 & 0xF8) == 0xF0)
        {
            int cp = ((b0 & 0x07) << 18) | ((s[1] & 0x3F) << 12) | ((s[2] & 0x3F) << 6) | (s[3] & 0x3F);
            return Trail(s[1]) && Trail(s[2]) && Trail(s[3]) && cp >= 0x10000 && Valid(cp) ? 4 : 0;
        }
        return 0;
    }

    void AppendSpace(ref byte[] output, ref int length)
    {
        if (EscapeWhitespaces) Append(ref output, ref length, SpaceSymbol);
        else Append(ref output, ref length, (byte)' ');
    }

    static void Append(ref byte[] output, ref int length, byte value)
    {
        if (length == output.Length)
            Array.Resize(ref output, Math.Max(16, output.Length * 2));
        output[length++] = value;
    }

    static void Append(ref byte[] output, ref int length, ReadOnlySpan<byte> value)
    {
        if (length + value.Length > output.Length)
            Array.Resize(ref output, Math.Max(length + value.Length, output.Length * 2));
        value.CopyTo(output.AsSpan(length));
        length += value.Length;
    }
}
