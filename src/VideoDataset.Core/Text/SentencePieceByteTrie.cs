namespace VideoDataset.Core.Text;

/// <summary>
/// A read-only trie over UTF-8 byte strings, each key carrying an int value: the pieces of a SentencePiece model
/// (value = piece id) or its user-defined symbols. Walked one byte at a time, as SentencePiece walks its
/// double-array trie. Children of a node are stored contiguously and sorted by byte.
/// </summary>
internal sealed class SentencePieceByteTrie
{
    public const int Root = 0;

    const int DenseFanOut = 24;                    // nodes with this many children get a 256-entry table

    readonly int[] _dense;                         // 256 children per dense node, -1 when none
    readonly int[] _denseStart;                    // start of node n's table in _dense, -1 for a sparse node
    readonly int[] _firstChild;                    // children of node n: [_firstChild[n], _firstChild[n + 1])
    readonly byte[] _labels;
    readonly int[] _targets;
    readonly int[] _values;                        // value per node, -1 when no key ends there

    public SentencePieceByteTrie(IEnumerable<(byte[] Key, int Value)> entries)
    {
        // Keys sorted bytewise: the keys below a node are one range, its children split the range by the byte at
        // the node's depth. Nodes are numbered breadth-first, so each node's children are adjacent.
        var keys = entries.ToArray();
        Array.Sort(keys, (x, y) => x.Key.AsSpan().SequenceCompareTo(y.Key));
        var ranges = new List<(int Lo, int Hi, int Depth)> { (0, keys.Length, 0) };
        var firstChild = new List<int>();
        var labels = new List<byte>();
        var targets = new List<int>();
        var values = new List<int>();
        for (int n = 0; n < ranges.Count; n++)
        {
            var (lo, hi, depth) = ranges[n];
            firstChild.Add(labels.Count);
            int value = -1;
            while (lo < hi && keys[lo].Key.Length == depth)
                value = keys[lo++].Value;   // a repeated key keeps its last value
            values.Add(value);
            while (lo < hi)
            {
                byte label = keys[lo].Key[depth];
                int end = lo + 1;
                while (end < hi && keys[end].Key[depth] == label)
                    end++;
                labels.Add(label);
                targets.Add(ranges.Count);
                ranges.Add((lo, end, depth + 1));
                lo = end;
            }
        }
        firstChild.Add(labels.Count);
        _firstChild = [.. firstChild];
        _labels = [.. labels];
        _targets = [.. targets];
        _values = [.. values];
        // The root, which every walk starts from, and the few nodes with many children (such as "▁") are
        // looked up by index; the others by a search of their sorted labels.
        _denseStart = new int[_values.Length];
        var dense = new List<int>();
        for (int n = 0; n < _values.Length; n++)
        {
            int first = _firstChild[n], end = _firstChild[n + 1];
            if (n != Root && end - first < DenseFanOut)
            {
                _denseStart[n] = -1;
                continue;
            }
            _denseStart[n] = dense.Count;
            var table = Enumerable.Repeat(-1, 256).ToArray();
            for (int e = first; e < end; e++)
                table[_labels[e]] = _targets[e];
            dense.AddRange(table);
        }
        _dense = [.. dense];
    }

    /// <summary>The node reached from <paramref name="node"/> by <paramref name="label"/>, or -1.</summary>
    public int Next(int node, byte label)
    {
        int start = _denseStart[node];
        if (start >= 0)
            return _dense[start + label];
        int lo = _firstChild[node], hi = _firstChild[node + 1] - 1;
        while (hi - lo > 4)
        {
            int mid = (lo + hi) >> 1;
            if (_labels[mid] < label) lo = mid + 1;
            else hi = mid;
        }
        for (; lo <= hi; lo++)
            if (_labels[lo] == label)
                return _targets[lo];
        return -1;
    }

    /// <summary>The value of the key ending at <paramref name="node"/>, or -1.</summary>
    public int Value(int node) => _values[node];

    /// <summary>Length in bytes of the longest key that is a prefix of <paramref name="text"/>, 0 when none.</summary>
    public int LongestPrefix(ReadOnlySpan<byte> text)
    {
        int node = Root, longest = 0;
        for (int i = 0; i < text.Length; i++)
        {
            node = Next(node, text[i]);
            if (node < 0)
                break;
            if (_values[node] >= 0)
                longest = i + 1;
        }
        return longest;
    }
}
