// Microsoft.Extensions.AI's messages and ChatOptions mapped onto the engine's chat messages and GenerationOptions; what
// the engine cannot do (tools, JSON formats, frequency/presence penalties, server-side state) is refused, never ignored.
using System.Text;
using Microsoft.Extensions.AI;
using Minerva.Native.Generation;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;
using TemplateMessage = Minerva.Native.Tokenization.ChatMessage;

namespace Minerva.Native;

public sealed partial class LlamaChatClient
{
    /// <summary>
    /// The conversation for the chat template: <see cref="ChatOptions.Instructions"/> as a first system message, then
    /// each message's role and the text of its <see cref="TextContent"/>s (a <see cref="UsageContent"/> is skipped).
    /// </summary>
    private static List<TemplateMessage> Conversation(IEnumerable<ChatMessage> messages, string? instructions)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var conversation = new List<TemplateMessage>();
        if (!string.IsNullOrEmpty(instructions)) conversation.Add(new TemplateMessage("system", instructions));
        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            var role = message.Role;
            if (role != ChatRole.System && role != ChatRole.User && role != ChatRole.Assistant)
                throw new NotSupportedException($"role '{role}' is not supported: messages are system, user or assistant");
            var text = new StringBuilder();
            foreach (var content in message.Contents)
            {
                if (content is TextContent t) text.Append(t.Text);
                else if (content is not UsageContent)
                    throw new NotSupportedException($"{content.GetType().Name} in a {role} message is not supported: only text contents");
            }
            conversation.Add(new TemplateMessage(role.Value, text.ToString()));
        }
        if (conversation.Count == 0) throw new ArgumentException("the conversation has no messages", nameof(messages));
        return conversation;
    }

    /// <summary>
    /// <see cref="ChatOptions"/> over a base of the engine's options: the <see cref="GenerationOptions"/> that
    /// <see cref="ChatOptions.RawRepresentationFactory"/> returns (for MinP, RepeatPenalty, IgnoreEos, ...), else the
    /// engine's sampling defaults (llama.cpp's) with a random seed and as many tokens as the context has room for.
    /// </summary>
    private GenerationOptions Generation(ChatOptions? options, int room)
    {
        var baseline = options?.RawRepresentationFactory?.Invoke(this) as GenerationOptions
            ?? new GenerationOptions { MaxTokens = Math.Max(room, 1), Seed = (ulong)Random.Shared.NextInt64() };
        if (options is null) return baseline;

        if (options.FrequencyPenalty is { } frequency && frequency != 0 || options.PresencePenalty is { } presence && presence != 0)
            throw new NotSupportedException("FrequencyPenalty and PresencePenalty are not supported: the engine has llama.cpp's repeat " +
                "penalty, GenerationOptions.RepeatPenalty, which a ChatOptions.RawRepresentationFactory returning GenerationOptions sets");
        if (options.Tools is { Count: > 0 }) throw new NotSupportedException("tools are not supported by this chat client");
        if (options.ResponseFormat is not null and not ChatResponseFormatText)
            throw new NotSupportedException("only text responses are supported (ChatOptions.ResponseFormat)");
        if (options.ModelId is { } id && id != ModelId)
            throw new NotSupportedException($"this client runs the model '{ModelId}', not '{id}' (ChatOptions.ModelId)");
        if (options.ConversationId is not null)
            throw new NotSupportedException("the client keeps no conversations (ChatOptions.ConversationId): pass the whole conversation");
        if (options.ContinuationToken is not null || options.AllowBackgroundResponses == true)
            throw new NotSupportedException("background responses are not supported");
        if (options.MaxOutputTokens is <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), $"MaxOutputTokens {options.MaxOutputTokens} must be positive");

        return baseline with
        {
            MaxTokens = options.MaxOutputTokens ?? baseline.MaxTokens,
            Temperature = options.Temperature ?? baseline.Temperature,
            TopP = options.TopP ?? baseline.TopP,
            TopK = options.TopK ?? baseline.TopK,
            Seed = options.Seed is { } seed ? unchecked((ulong)seed) : baseline.Seed,
            StopStrings = options.StopSequences is { Count: > 0 } stops ? [.. baseline.StopStrings, .. stops] : baseline.StopStrings,
        };
    }
}
