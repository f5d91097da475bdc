// Which special-token texts occur in a text: one walk of a character trie from every position, so partitioning a text
// (tokenizer_st_partition) only visits the special tokens present, however many the vocabulary holds.
namespace Minerva.Native.Tokenization;

internal sealed class SpecialTokenTrie
{
    private readonly Dictionary<long, int> _children = []; // (node << 16 | char) -> child node
    private readonly List<int> _terminal = [-1];           // node -> index of the text ending there, -1 for none

    /// <param name="texts">The texts; a match reports its index in this list.</param>
    public SpecialTokenTrie(IReadOnlyList<string> texts)
    {
        for (int i = 0; i < texts.Count; i++)
        {
            int node = 0;
            foreach (char c in texts[i])
            {
                long key = (long)node << 16 | c;
                if (!_children.TryGetValue(key, out int child))
                {
                    child = _terminal.Count;
                    _terminal.Add(-1);
                    _children.Add(key, child);
                }
                node = child;
            }
            if (_terminal[node] < 0) _terminal[node] = i;
        }
    }

    /// <summary>The indices of the texts that occur somewhere in <paramref name="text"/>, ascending.</summary>
    public List<int> Occurring(ReadOnlySpan<char> text)
    {
        var found = new HashSet<int>();
        for (int start = 0; start < text.Length; start++)
        {
            int node = 0;
            for (int i = start; i < text.Length && _children.TryGetValue((long)node << 16 | text[i], out node); i++)
                if (_terminal[node] >= 0) found.Add(_terminal[node]);
        }
        var list = found.ToList();
        list.Sort();
        return list;
    }
}
