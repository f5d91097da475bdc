// One chat turn: a role ("system", "user", "assistant", ...) and its text (llama.h llama_chat_message).
namespace Minerva.Native.Tokenization;

/// <summary>One message of a conversation, formatted by <see cref="ChatTemplate.Apply"/>.</summary>
public sealed record ChatMessage(string Role, string Content);
