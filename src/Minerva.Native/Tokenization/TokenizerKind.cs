// Which segmentation algorithm a vocabulary uses (llama.cpp's llama_vocab_type: LLAMA_VOCAB_TYPE_SPM or LLAMA_VOCAB_TYPE_BPE).
namespace Minerva.Native.Tokenization;

/// <summary>The tokenizer family: GGUF <c>tokenizer.ggml.model</c> "llama" is <see cref="Spm"/>, "gpt2" is <see cref="Bpe"/>.</summary>
public enum TokenizerKind
{
    /// <summary>SentencePiece BPE: pieces merged by score, spaces as U+2581, byte fallback to &lt;0xXX&gt; tokens.</summary>
    Spm = 0,

    /// <summary>Byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM): regex pre-tokenizer, GPT-2 byte-to-unicode alphabet, ranked merges.</summary>
    Bpe = 1,
}
