// The peer: llama.cpp's batched decode through LLamaSharp's BatchedExecutor, in-process, driven as the server is loaded:
// C conversations at once (one KV sequence each, non-unified KV), each step one Infer for every pending row (new
// prompts and next tokens together), greedy = arg-max of each conversation's logits, EOS ignored, a finished
// conversation replaced by the next request until the level's N are done.
using System.Diagnostics;
using System.Text;
using LLama;
using LLama.Batched;
using LLama.Common;
using LLama.Native;
using Minerva.Native.Tokenization;

namespace Minerva.Native.LoadGen;

internal sealed class LlamaCppPeer : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly BatchedExecutor _executor;
    private readonly int _vocab;

    public string ModelPath { get; }

    private LlamaCppPeer(string path, LLamaWeights weights, BatchedExecutor executor)
    {
        ModelPath = path;
        _weights = weights;
        _executor = executor;
        _vocab = weights.Vocab.Count;
    }

    /// <summary>
    /// Loads the GGUF on the CPU with <paramref name="sequences"/> KV sequences of <paramref name="contextPerSequence"/>
    /// tokens each (as `serve --parallel` slots of `-c` tokens) and steps of at most <paramref name="batchSize"/> rows.
    /// </summary>
    public static LlamaCppPeer Load(string path, int threads, int sequences, int contextPerSequence, int batchSize)
    {
        NativeLibraryConfig.All.WithLogCallback((level, message) => { if (level == LLamaLogLevel.Error) Console.Error.Write(message); });
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)(contextPerSequence * sequences),
            SeqMax = (uint)sequences,
            KVUnified = false,
            BatchSize = (uint)batchSize,
            UBatchSize = (uint)batchSize,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
        };
        var weights = LLamaWeights.LoadFromFile(parameters);
        try
        {
            return new LlamaCppPeer(path, weights, new BatchedExecutor(weights, parameters));
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>Tokens of plain text (no BOS, no special tokens parsed), for sizing the prompt.</summary>
    public int CountTokens(string text) => _weights.Tokenize(text, add_bos: false, special: false, Encoding.UTF8).Length;

    /// <summary>
    /// The prompt ids a chat request with this user text becomes: the GGUF's chat template formatted by Minerva.Native's
    /// ChatTemplate (what `serve` applies, so both engines see the same text), tokenized by llama.cpp with BOS.
    /// </summary>
    public LLamaToken[] ChatPrompt(string userText)
    {
        string? template = _weights.Metadata.TryGetValue("tokenizer.chat_template", out string? t) ? t : null;
        string text = ChatTemplate.Apply(template, [new ChatMessage("user", userText)], addAssistantPrompt: true);
        return _weights.Tokenize(text, add_bos: true, special: true, Encoding.UTF8);
    }

    private sealed class Stream(int index, Conversation conversation, long start)
    {
        public int Index { get; } = index;
        public Conversation Conversation { get; } = conversation;
        public long Start { get; } = start;
        public long First { get; set; }
        public int Generated { get; set; }
    }

    /// <summary>One level: <paramref name="requests"/> generations of <paramref name="maxTokens"/>, <paramref name="concurrency"/> at a time.</summary>
    public LevelRun RunLevel(LLamaToken[] prompt, int concurrency, int requests, int maxTokens)
    {
        var results = new RequestResult[requests];
        var active = new List<Stream>(concurrency);
        int started = 0;
        long levelStart = Stopwatch.GetTimestamp();
        void Launch()
        {
            var conversation = _executor.Create();
            conversation.Prompt(prompt);
            active.Add(new Stream(started++, conversation, Stopwatch.GetTimestamp()));
        }
        try
        {
            while (started < requests && active.Count < concurrency) Launch();
            while (active.Count > 0)
            {
                var decoded = _executor.Infer().GetAwaiter().GetResult();
                if (decoded != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed: {decoded}");
                for (int k = 0; k < active.Count; k++)
                {
                    var s = active[k];
                    if (!s.Conversation.RequiresSampling) continue;
                    int token = ArgMax(s.Conversation.Sample()[.._vocab]);
                    long now = Stopwatch.GetTimestamp();
                    if (s.Generated++ == 0) s.First = now;
                    if (s.Generated < maxTokens)
                    {
                        s.Conversation.Prompt((LLamaToken)token);
                        continue;
                    }
                    results[s.Index] = new RequestResult(s.Index, ClosedLoop.Ms(levelStart, s.Start), ClosedLoop.Ms(s.Start, s.First),
                        ClosedLoop.Ms(s.Start, now), prompt.Length, s.Generated, s.Generated, true, "length", null);
                    s.Conversation.Dispose();
                    active.RemoveAt(k--);
                }
                while (started < requests && active.Count < concurrency) Launch();
            }
            return new LevelRun(results, Stopwatch.GetElapsedTime(levelStart).TotalSeconds);
        }
        finally
        {
            foreach (var s in active) s.Conversation.Dispose();
        }
    }

    private static int ArgMax(ReadOnlySpan<float> logits) // [vocab]
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    public void Dispose()
    {
        _executor.Dispose();
        _weights.Dispose();
    }
}
