namespace VideoDataset.Core.Text;

/// <summary>
/// Cuts text at added tokens with the same results as transformers' <c>Trie.split</c> (tokenization_utils.py),
/// including its greedy choices: partial matches are tracked from every start; when the earliest tracked match
/// completes, the earliest start that can complete wins and is extended to its longest token, and scanning resumes
/// after it. For token sets where no token occurs inside another (T5's) this is plain leftmost-longest.
/// </summary>
internal sealed class T5TokenizerTrie
{
    sealed class Node
    {
        public readonly Dictionary<char, Node> Next = [];
        public bool Terminal;
    }

    readonly Node _root = new();

    public T5TokenizerTrie(IEnumerable<string> tokens)
    {
        foreach (string token in tokens)
        {
            if (token.Length == 0)
                continue;
            var node = _root;
            foreach (char c in token)
            {
                if (!node.Next.TryGetValue(c, out var child))
                    node.Next[c] = child = new Node();
                node = child;
            }
            node.Terminal = true;
        }
    }

    /// <summary>The text cut at the token boundaries found; no part is empty.</summary>
    public List<string> Split(string text)
    {
        var states = new List<(int Start, Node Node)>(); // partial matches, by increasing start
        var cuts = new List<int> { 0 };
        int skip = 0;
        for (int current = 0; current < text.Length; current++)
        {
            if (skip > 0 && current < skip)
                continue; // inside a token already cut
            char c = text[current];
            bool matched = false;
            var failed = new List<int>();
            for (int s = 0; s < states.Count; s++)
            {
                var (start, node) = states[s];
                if (node.Terminal)
                {
                    (int cutStart, int cutEnd, skip) = LongestFrom(text, states, start, current, skip);
                    cuts.Add(cutStart);
                    cuts.Add(cutEnd);
                    matched = true;
                    break;
                }
                if (node.Next.TryGetValue(c, out var child))
                    states[s] = (start, child);
                else
                    failed.Add(s);
            }
            if (matched)
                states.Clear();
            else
                for (int f = failed.Count - 1; f >= 0; f--)
                    states.RemoveAt(failed[f]);
            if (current >= skip && _root.Next.TryGetValue(c, out var first))
                states.Add((current, first));
        }
        foreach (var (start, node) in states)
            if (node.Terminal)
            {
                cuts.Add(start);
                cuts.Add(text.Length);
                break;
            }
        return Cut(text, cuts);
    }

    /// <summary>
    /// The lookahead of Trie.split once the state starting at <paramref name="matchStart"/> is complete: each
    /// state starting no later is extended as far as the text allows; the first to reach a token end wins. States
    /// before the completed one have already consumed the current character (so they look from current + 1);
    /// that includes, as in transformers, states that failed on it and are still listed until the pass ends.
    /// </summary>
    static (int Start, int End, int Skip) LongestFrom(string text, List<(int Start, Node Node)> states,
                                                       int matchStart, int current, int skip)
    {
        int start = matchStart, end = current;
        foreach (var (lookStart, lookNode) in states)
        {
            if (lookStart > start)
                break;
            int index = lookStart < start ? current + 1 : current;
            end = index;
            var node = lookNode;
            if (node.Terminal)
                (start, end, skip) = (lookStart, index, index);
            while (index < text.Length && node.Next.TryGetValue(text[index], out var child))
            {
                node = child;
                index++;
                if (node.Terminal)
                    (start, end, skip) = (lookStart, index, index);
            }
        }
        return (start, end, skip);
    }

    /// <summary>Trie.cut_text: slices between consecutive cuts, skipping empty and backwards ones.</summary>
    static List<string> Cut(string text, List<int> cuts)
    {
        cuts.Add(text.Length);
        var parts = new List<string>();
        int start = 0;
        foreach (int end in cuts)
        {
            if (start >= end)
                continue;
            parts.Add(text[start..end]);
            start = end;
        }
        return parts;
    }
}
