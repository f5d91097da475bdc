// A conversation as ChatTemplate.Apply writes it, with the spans its messages' contents fill, tokenized so that only the
// template's text yields special tokens (llama.cpp's server parses the whole templated prompt; a user's "</s>" stays text).
using System.Text;

namespace Minerva.Native.Tokenization;

/// <summary>
/// The templated text and where each message's content (or its trimmed form, for families that trim) lies in it. Found by
/// formatting the conversation a second time with every content replaced by a marker wrapped in vertical tabs: a marker
/// still wrapped was copied as is, a bare one was trimmed; the text between markers is the template's own.
/// </summary>
internal sealed class ChatPrompt
{
    private const char Wrap = '\v', Open = '\u0001', Close = '\u0002';   // characters no template writes

    private ChatPrompt(string text, (int Start, int Length)[] contents)
    {
        Text = text;
        Contents = contents;
    }

    public string Text { get; }
    /// <summary>The contents' spans in <see cref="Text"/>, in order (a content the template drops has none).</summary>
    public IReadOnlyList<(int Start, int Length)> Contents { get; }

    /// <summary>Throws <see cref="NotSupportedException"/> for a template that changes contents other than by trimming.</summary>
    public static ChatPrompt Format(string? template, IReadOnlyList<ChatMessage> messages, bool addAssistantPrompt)
    {
        string real = ChatTemplate.Apply(template, messages, addAssistantPrompt);
        var marked = new ChatMessage[messages.Count];
        for (int i = 0; i < marked.Length; i++) marked[i] = messages[i] with { Content = $"{Wrap}{Open}{i}{Close}{Wrap}" };
        string layout = ChatTemplate.Apply(template, marked, addAssistantPrompt);

        var text = new StringBuilder(real.Length);
        var spans = new List<(int, int)>(messages.Count);
        int at = 0;
        for (int open = layout.IndexOf(Open); open >= 0; open = layout.IndexOf(Open, at))
        {
            int close = layout.IndexOf(Close, open);
            int index = int.Parse(layout.AsSpan(open + 1, close - open - 1), System.Globalization.CultureInfo.InvariantCulture);
            bool kept = open > 0 && layout[open - 1] == Wrap && close + 1 < layout.Length && layout[close + 1] == Wrap;
            text.Append(layout, at, (kept ? open - 1 : open) - at);
            string content = kept ? messages[index].Content : ChatTemplate.Trim(messages[index].Content);
            spans.Add((text.Length, content.Length));
            text.Append(content);
            at = kept ? close + 2 : close + 1;
        }
        text.Append(layout, at, layout.Length - at);
        if (!text.Equals(real))
            throw new NotSupportedException("the chat template changes message contents in a way that cannot be told apart from its own text");
        return new ChatPrompt(real, [.. spans]);
    }

    /// <summary>
    /// The prompt's ids: BOS as <see cref="LlamaTokenizer.AddBos"/> says, the template's text with special tokens parsed,
    /// the contents as plain text (with no special-token text in the contents, the same ids as
    /// <c>Encode(Text, addBos: true, parseSpecial: true)</c>).
    /// </summary>
    public int[] Encode(LlamaTokenizer tokenizer) => tokenizer.EncodeWithPlainSpans(Text, Contents, addBos: true);
}
