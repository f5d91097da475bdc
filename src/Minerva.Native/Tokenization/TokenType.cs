// Token types as stored in GGUF tokenizer.ggml.token_type and SentencePiece ModelProto.SentencePiece.type (llama.h llama_token_type).
namespace Minerva.Native.Tokenization;

/// <summary>The kind of a vocabulary entry; the numeric values are the GGUF / SentencePiece ones.</summary>
public enum TokenType
{
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
