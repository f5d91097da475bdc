// Special tokens found by their text, as llama_vocab::impl::load does after reading the types: EOT, EOM and FIM tokens
// become CONTROL, end-of-generation texts (and FIM pad/repo/sep, EOS, EOT, EOM) form the EOG set, with its workarounds.
namespace Minerva.Native.Tokenization;

public sealed partial class LlamaTokenizer
{
    // llama.cpp walks its hash map (token_to_id) and takes the first of these texts it meets: LibstdcxxTokenOrder.
    private static readonly string[] EotTexts =
        ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]",
         "<｜end▁of▁sentence｜>", "<end_of_utterance>"];
    private static readonly string[] EomTexts = ["<|eom_id|>"];
    private static readonly string[] FimPreTexts =
        ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"];
    private static readonly string[] FimSufTexts =
        ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"];
    private static readonly string[] FimMidTexts =
        ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"];
    private static readonly string[] FimPadTexts = ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"];
    private static readonly string[] FimRepTexts = ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"];
    private static readonly string[] FimSepTexts = ["<|file_sep|>"];
    private static readonly string[] EogTexts =
        ["<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>",
         "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>",
         "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~["];
    private static readonly string[] AlwaysRenderedTexts = ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"];

    /// <summary>Fixes token types and fills the EOG flags; returns the end-of-turn id (given or found by text).</summary>
    private int MarkSpecialTokens(int eot, Dictionary<string, int> ids)
    {
        int[]? order = null;
        int Find(string[] texts)
        {
            int found = -1;
            foreach (string text in texts)
                if (ids.TryGetValue(text, out int id) && (found < 0 || (order ??= LibstdcxxTokenOrder.Positions(_tokens))[id] < order[found]))
                    found = id;
            if (found >= 0) _types[found] = TokenType.Control;
            return found;
        }
        if (eot < 0) eot = Find(EotTexts);
        int eom = Find(EomTexts);
        Find(FimPreTexts);
        Find(FimSufTexts);
        Find(FimMidTexts);
        int[] fimEog = [Find(FimPadTexts), Find(FimRepTexts), Find(FimSepTexts)];

        var eog = new HashSet<int>(fimEog.Where(id => id >= 0));
        foreach (string text in EogTexts)
            if (ids.TryGetValue(text, out int id))
            {
                eog.Add(id);
                _types[id] = TokenType.Control;
            }
        foreach (string text in AlwaysRenderedTexts)
            if (ids.TryGetValue(text, out int id)) _types[id] = TokenType.UserDefined;
        foreach (int id in (int[])[Eos, eot, eom])
            if (id >= 0) eog.Add(id);

        // o200k_harmony and solar-open: "<|end|>" ends a message, not the generation, when these tokens are present.
        bool Has(string text) => ids.TryGetValue(text, out int id) && eog.Contains(id);
        bool hasCall = Has("<|call|>") || Has("<|calls|>");
        if ((Has("<|return|>") && hasCall || hasCall && Has("<|flush|>")) && Has("<|end|>"))
        {
            int end = ids["<|end|>"];
            eog.Remove(end);
            _types[end] = TokenType.UserDefined;
        }
        // Gemma 4 and PaddleOCR: "</s>" is not an end of generation beside "<|tool_response>".
        if (Has("<|tool_response>") && Has("</s>"))
        {
            int s = ids["</s>"];
            eog.Remove(s);
            _types[s] = TokenType.Normal;
        }

        foreach (int id in eog) _eog[id] = true;
        return eot;
    }
}
