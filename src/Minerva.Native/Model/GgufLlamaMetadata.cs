// The {arch}.* and tokenizer.ggml.* keys llama.cpp reads (llama-model.cpp, llama-vocab.cpp), written from a LlamaConfig
// and a vocabulary (SentencePiece "llama" or byte-level BPE "gpt2"): shared by the synthetic-model writers and the quantizer.
using Minerva.Native.Formats.Gguf;

namespace Minerva.Native.Model;

public static class GgufLlamaMetadata
{
    public static void AddHyperparameters(GgufWriter w, LlamaConfig c)
    {
        string arch = c.Architecture;
        w.AddMetadata("general.architecture", arch);
        w.AddMetadata("general.name", c.Name ?? "model");
        w.AddMetadata($"{arch}.vocab_size", (uint)c.VocabSize);
        w.AddMetadata($"{arch}.context_length", (uint)c.ContextLength);
        w.AddMetadata($"{arch}.embedding_length", (uint)c.HiddenSize);
        w.AddMetadata($"{arch}.block_count", (uint)c.Layers);
        w.AddMetadata($"{arch}.feed_forward_length", (uint)c.FfnSize);
        w.AddMetadata($"{arch}.rope.dimension_count", (uint)c.HeadDim);
        w.AddMetadata($"{arch}.attention.head_count", (uint)c.Heads);
        w.AddMetadata($"{arch}.attention.head_count_kv", (uint)c.KvHeads);
        if (c.HeadDimension > 0)
        {
            w.AddMetadata($"{arch}.attention.key_length", (uint)c.HeadDimension);
            w.AddMetadata($"{arch}.attention.value_length", (uint)c.HeadDimension);
        }
        if (c.SlidingWindow > 0) w.AddMetadata($"{arch}.attention.sliding_window", (uint)c.SlidingWindow);
        w.AddMetadata($"{arch}.attention.layer_norm_rms_epsilon", c.RmsEpsilon);
        w.AddMetadata($"{arch}.rope.freq_base", c.RopeTheta);
        if (c.RopeScale != 1f)
        {
            w.AddMetadata($"{arch}.rope.scaling.type", "linear");
            w.AddMetadata($"{arch}.rope.scaling.factor", c.RopeScale);
        }
    }

    /// <summary>A SentencePiece ("llama") vocabulary: pieces, scores, token types, special ids and flags.</summary>
    public static void AddTokenizer(GgufWriter w, string[] tokens, float[] scores, int[] types, int bos, int eos, int unk,
        bool addBos, bool addEos, string? chatTemplate)
    {
        w.AddMetadata("tokenizer.ggml.model", "llama");
        w.AddMetadata("tokenizer.ggml.tokens", tokens);
        w.AddMetadata("tokenizer.ggml.scores", scores);
        w.AddMetadata("tokenizer.ggml.token_type", types);
        w.AddMetadata("tokenizer.ggml.bos_token_id", (uint)bos);
        w.AddMetadata("tokenizer.ggml.eos_token_id", (uint)eos);
        w.AddMetadata("tokenizer.ggml.unknown_token_id", (uint)unk);
        w.AddMetadata("tokenizer.ggml.add_bos_token", addBos);
        w.AddMetadata("tokenizer.ggml.add_eos_token", addEos);
        if (chatTemplate is not null) w.AddMetadata("tokenizer.chat_template", chatTemplate);
    }

    /// <summary>
    /// A byte-level BPE ("gpt2") vocabulary as llama.cpp's converter writes it: pre-tokenizer name, tokens in the
    /// byte-to-unicode alphabet, token types, merges "left right" in rank order, special ids (-1: not written) and flags.
    /// </summary>
    public static void AddBpeTokenizer(GgufWriter w, string pre, string[] tokens, int[] types, string[] merges, int bos, int eos,
        int pad, bool addBos, string? chatTemplate)
    {
        w.AddMetadata("tokenizer.ggml.model", "gpt2");
        w.AddMetadata("tokenizer.ggml.pre", pre);
        w.AddMetadata("tokenizer.ggml.tokens", tokens);
        w.AddMetadata("tokenizer.ggml.token_type", types);
        w.AddMetadata("tokenizer.ggml.merges", merges);
        if (bos >= 0) w.AddMetadata("tokenizer.ggml.bos_token_id", (uint)bos);
        if (eos >= 0) w.AddMetadata("tokenizer.ggml.eos_token_id", (uint)eos);
        if (pad >= 0) w.AddMetadata("tokenizer.ggml.padding_token_id", (uint)pad);
        w.AddMetadata("tokenizer.ggml.add_bos_token", addBos);
        if (chatTemplate is not null) w.AddMetadata("tokenizer.chat_template", chatTemplate);
    }

    /// <summary>The tokenizer keys of an existing tokenizer, in the form its kind needs.</summary>
    public static void AddTokenizer(GgufWriter w, Tokenization.LlamaTokenizer tok)
    {
        var v = tok.Vocabulary;
        int[] types = [.. v.Types.Select(t => (int)t)];
        if (tok.Kind == Tokenization.TokenizerKind.Bpe)
            AddBpeTokenizer(w, tok.PreTokenizer!, [.. v.Tokens], types, [.. v.Merges!], tok.Bos, tok.Eos, tok.Pad, tok.AddBos, tok.ChatTemplate);
        else
            AddTokenizer(w, [.. v.Tokens], [.. v.Scores], types, tok.Bos, tok.Eos, tok.Unk, tok.AddBos, tok.AddEos, tok.ChatTemplate);
    }
}
