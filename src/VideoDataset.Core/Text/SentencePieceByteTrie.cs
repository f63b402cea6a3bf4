namespace VideoDataset.Core.Text;

/// <summary>
/// A read-only trie over UTF-8 byte strings, each key carrying an int value: the pieces of a SentencePiece model
/// (value = piece id) or its user-defined symbols. Walked one byte at a time, as SentencePiece walks its
/// double-array trie. Children of a node are stored contiguously and sorted by byte; the root, which every walk
/// starts from, has a direct 256-entry table.
/// </summary>
internal sealed class SentencePieceByteTrie
{
    public const int Root = 0;

    readonly int[] _rootChildren = new int[256];   // child node of the root per byte, -1 when none
    readonly int[] _firstChild;                    // children of node n: [_firstChild[n], _firstChild[n + 1])
    readonly byte[] _labels;
    readonly int[] _targets;
    readonly int[] _values;                        // value per node, -1 when no key ends there

    public SentencePieceByteTrie(IEnumerable<(byte[] Key, int Value)> entries)
    {
        // Built as nested sorted dictionaries, then flattened breadth-first so each node's children are adjacent.
        var builder = new List<SortedDictionary<byte, int>> { new() };
        var values = new List<int> { -1 };
        foreach (var (key, value) in entries)
        {
            int node = 0;
            foreach (byte b in key)
            {
                if (!builder[node].TryGetValue(b, out int next))
                {
                    next = builder.Count;
                    builder.Add(new SortedDictionary<byte, int>());
                    values.Add(-1);
                    builder[node][b] = next;
                }
                node = next;
            }
            values[node] = value;
        }

        int count = builder.Count;
        var order = new int[count];      // new index -> builder index
        var renumber = new int[count];   // builder index -> new index
        int filled = 1;
        for (int i = 0; i < filled; i++)
            foreach (int child in builder[order[i]].Values)
            {
                renumber[child] = filled;
                order[filled++] = child;
            }

        _firstChild = new int[count + 1];
        _labels = new byte[count - 1];
        _targets = new int[count - 1];
        _values = new int[count];
        int edge = 0;
        for (int n = 0; n < count; n++)
        {
            _firstChild[n] = edge;
            _values[n] = values[order[n]];
            foreach (var (label, child) in builder[order[n]])
            {
                _labels[edge] = label;
                _targets[edge++] = renumber[child];
            }
        }
        _firstChild[count] = edge;
        Array.Fill(_rootChildren, -1);
        for (int e = _firstChild[0]; e < _firstChild[1]; e++)
            _rootChildren[_labels[e]] = _targets[e];
    }

    /// <summary>The node reached from <paramref name="node"/> by <paramref name="label"/>, or -1.</summary>
    public int Next(int node, byte label)
    {
        if (node == Root)
            return _rootChildren[label];
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
