// IChatClient (Microsoft.Extensions.AI) over a LlamaModel, in the manner of OllamaSharp's client: the conversation in the
// model's chat template (llama.cpp's llama_chat_apply_template), only the template's text parsed for special tokens, one
// session of the model's pool per call (waiting for a free one), usage and finish reason as llama.cpp's server reports them.
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using Minerva.Native.Generation;
using Minerva.Native.Tokenization;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Minerva.Native;

/// <summary>
/// A <see cref="IChatClient"/> on a loaded model; thread-safe, calls run concurrently (batched by the model's scheduler;
/// beyond <see cref="ModelOptions.MaxSequences"/> sessions a call waits for a free one). The client keeps no state
/// between calls: pass the whole conversation each time. Disposing it leaves the model loaded.
/// </summary>
/// <example>
/// <code>
/// using var model = LlamaModel.Load("models/qwen2.5-0.5b-instruct-q8_0.gguf");
/// IChatClient chat = model.AsChatClient();
/// var response = await chat.GetResponseAsync([new(ChatRole.User, "Name three colours.")], new ChatOptions { MaxOutputTokens = 64 });
/// Console.WriteLine(response.Text);
/// </code>
/// </example>
public sealed partial class LlamaChatClient : IChatClient
{
    private readonly LlamaModel _model;
    private readonly ChatClientMetadata _metadata;

    internal LlamaChatClient(LlamaModel model, string? modelId)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        ModelId = modelId ?? model.Config.Name ?? System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(model.Path));
        _metadata = new ChatClientMetadata("minerva-native", null, ModelId);
    }

    /// <summary>The id responses carry: the one given, else the model's name (general.name), else its file name.</summary>
    public string ModelId { get; }

    /// <summary>Called with the session's tokens (prompt, then generated) when a call ends; tests check the prompt with it.</summary>
    internal Action<IReadOnlyList<int>>? Evaluated { get; set; }

    /// <summary>
    /// Generates the assistant's reply to <paramref name="messages"/> (roles system, user and assistant; text contents).
    /// Without <see cref="ChatOptions.MaxOutputTokens"/> it runs to an end-of-generation token or a full context; unset
    /// sampling options are llama.cpp's defaults (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05), with a random seed.
    /// </summary>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var call = Prepare(messages, options);
        var text = new StringBuilder();
        await foreach (string piece in Run(call, cancellationToken).ConfigureAwait(false)) text.Append(piece);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString()) { MessageId = call.Id, CreatedAt = call.Created })
        {
            ResponseId = call.Id,
            ModelId = ModelId,
            CreatedAt = call.Created,
            FinishReason = call.FinishReason,
            Usage = call.Usage(),
        };
    }

    /// <summary>
    /// <see cref="GetResponseAsync"/> as it is generated: one update per text piece (never a split UTF-8 character), then
    /// a last one with the <see cref="ChatResponseUpdate.FinishReason"/> and a <see cref="UsageContent"/>. Cancellation
    /// stops it within one token, and no update follows it.
    /// </summary>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var call = Prepare(messages, options);
        await foreach (string piece in Run(call, cancellationToken).ConfigureAwait(false))
            yield return Update(call, new TextContent(piece));
        var last = Update(call, new UsageContent(call.Usage()));
        last.FinishReason = call.FinishReason;
        yield return last;
    }

    private ChatResponseUpdate Update(Call call, AIContent content) => new(ChatRole.Assistant, [content])
    {
        ResponseId = call.Id,
        MessageId = call.Id,
        ModelId = ModelId,
        CreatedAt = call.Created,
    };

    /// <summary>The prompt's token ids for a conversation, as a call would evaluate them.</summary>
    internal int[] PromptTokens(IEnumerable<ChatMessage> messages, ChatOptions? options = null) => Prepare(messages, options).Prompt;

    private Call Prepare(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var conversation = Conversation(messages, options?.Instructions);
        int[] prompt = ChatPrompt.Format(_model.Tokenizer.ChatTemplate, conversation, addAssistantPrompt: true).Encode(_model.Tokenizer);
        if (prompt.Length >= _model.ContextLength)
            throw new ContextLengthExceededException($"the prompt ({prompt.Length} tokens) does not fit the context of {_model.ContextLength} tokens with room to generate");
        return new Call(prompt, Generation(options, _model.ContextLength - prompt.Length));
    }

    private async IAsyncEnumerable<string> Run(Call call, [EnumeratorCancellation] CancellationToken cancellation)
    {
        using var session = await _model.CreateSessionAsync(cancellation).ConfigureAwait(false);
        try
        {
            var tokens = Count(session.GenerateTokensAsync(call.Prompt, call.Options, cancellation), call);
            await foreach (string piece in session.Text(tokens, call.Options, cancellation).ConfigureAwait(false))
            {
                cancellation.ThrowIfCancellationRequested();
                yield return piece;
            }
            cancellation.ThrowIfCancellationRequested();
            bool full = call.Generated >= call.Options.MaxTokens || call.Prompt.Length + call.Generated > _model.ContextLength;
            call.FinishReason = call.Exhausted && full ? ChatFinishReason.Length : ChatFinishReason.Stop;
        }
        finally
        {
            Evaluated?.Invoke(session.Tokens);
        }
    }

    private static async IAsyncEnumerable<int> Count(IAsyncEnumerable<int> tokens, Call call)
    {
        await foreach (int token in tokens.ConfigureAwait(false))
        {
            call.Generated++;
            yield return token;
        }
        call.Exhausted = true;
    }

    /// <summary>The model (<see cref="LlamaModel"/>), the <see cref="ChatClientMetadata"/> or this client; null otherwise.</summary>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return _metadata;
        if (serviceType == typeof(LlamaModel)) return _model;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Does nothing: the model belongs to whoever loaded it.</summary>
    public void Dispose() { }

    // One call: its prompt and options, then what generation did (the tokens handed out, whether the stream ran out).
    private sealed class Call(int[] prompt, GenerationOptions options)
    {
        public int[] Prompt { get; } = prompt;
        public GenerationOptions Options { get; } = options;
        public string Id { get; } = $"chatcmpl-{Guid.NewGuid():N}";
        public DateTimeOffset Created { get; } = DateTimeOffset.UtcNow;
        public int Generated { get; set; }
        public bool Exhausted { get; set; }
        public ChatFinishReason? FinishReason { get; set; }

        public UsageDetails Usage() => new() { InputTokenCount = Prompt.Length, OutputTokenCount = Generated, TotalTokenCount = Prompt.Length + Generated };
    }
}

/// <summary>The <see cref="IChatClient"/> of a model.</summary>
public static class LlamaModelChatExtensions
{
    /// <summary>
    /// A chat client on <paramref name="model"/>; <paramref name="modelId"/> names it in responses (default: the model's
    /// name, else its file name).
    /// </summary>
    public static LlamaChatClient AsChatClient(this LlamaModel model, string? modelId = null) => new(model, modelId);
}
