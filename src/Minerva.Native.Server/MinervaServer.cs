// The state behind the OpenAI-compatible endpoints: the model (loaded in the background: /health says 503 until then),
// its chat client, the slots requests hold while they generate (a bounded queue in front of them) and the counters
// /metrics prints.
using System.Diagnostics;
using Microsoft.Extensions.AI;

namespace Minerva.Native.Server;

/// <summary>How the server runs.</summary>
public sealed record MinervaServerOptions
{
    public required string ModelPath { get; init; }
    public ModelOptions Model { get; init; } = new();
    /// <summary>Requests that generate at once (the model's KV slots); more wait in the queue.</summary>
    public int Parallel { get; init; } = 4;
    /// <summary>Requests that may wait for a slot; beyond it a request gets 503.</summary>
    public int MaxQueue { get; init; } = 64;
    /// <summary>Bearer token every /v1 and tokenize request must carry; null: no authentication.</summary>
    public string? ApiKey { get; init; }
    /// <summary>The model id clients see (default: the file name).</summary>
    public string? Alias { get; init; }
    /// <summary>One line per request here (id, tokens, time to first token, tokens/s); null: no log.</summary>
    public TextWriter? Log { get; init; }
}

/// <summary>One model served over HTTP: load it with <see cref="LoadAsync"/>, map the endpoints with <see cref="OpenAiEndpoints.MapMinervaOpenAi"/>.</summary>
public sealed class MinervaServer : IAsyncDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly Func<LlamaModel, string, IChatClient> _chatFactory;
    private readonly Lock _logGate = new();
    private volatile LlamaModel? _model;
    private IChatClient? _chat;
    private int _waiting, _active;
    private long _requests, _errors, _promptTokens, _generatedTokens, _generationTicks;
    private readonly Dictionary<(string Endpoint, int Status), long> _byStatus = [];

    public MinervaServer(MinervaServerOptions options, Func<LlamaModel, string, IChatClient> chatClient)
    {
        if (options.Parallel < 1) throw new ArgumentOutOfRangeException(nameof(options), "--parallel must be at least 1");
        if (options.MaxQueue < 0) throw new ArgumentOutOfRangeException(nameof(options), "the queue length must not be negative");
        Options = options with { Model = options.Model with { MaxSequences = Math.Max(options.Model.MaxSequences, options.Parallel) } };
        ModelId = options.Alias ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(options.ModelPath));
        _slots = new SemaphoreSlim(options.Parallel, options.Parallel);
        _chatFactory = chatClient;
        Created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    }

    public MinervaServerOptions Options { get; }
    public string ModelId { get; }
    internal long Created { get; }
    /// <summary>The loaded model, or null while loading.</summary>
    public LlamaModel? Model => _model;
    public bool IsReady => _model is not null;
    internal IChatClient Chat => _chat ?? throw new RequestException(503, "the model is still loading", type: "server_error", code: "model_loading");

    /// <summary>Loads the model (the endpoints answer 503 until it is ready).</summary>
    public async Task LoadAsync(CancellationToken cancellation = default)
    {
        var model = await LlamaModel.LoadAsync(Options.ModelPath, Options.Model, null, cancellation).ConfigureAwait(false);
        _chat = _chatFactory(model, ModelId);
        _model = model;
    }

    internal LlamaModel RequireModel() => _model ?? throw new RequestException(503, "the model is still loading", type: "server_error", code: "model_loading");

    /// <summary>Waits for a generation slot; a 503 when the queue is full. Dispose the lease to free the slot.</summary>
    internal async Task<IDisposable> AcquireAsync(CancellationToken cancellation)
    {
        if (Interlocked.Increment(ref _waiting) > Options.MaxQueue + Options.Parallel)
        {
            Interlocked.Decrement(ref _waiting);
            throw new RequestException(503, $"the server is busy: {Options.Parallel} requests are generating and {Options.MaxQueue} are waiting; retry later",
                type: "server_error", code: "server_busy");
        }
        try { await _slots.WaitAsync(cancellation).ConfigureAwait(false); }
        finally { Interlocked.Decrement(ref _waiting); }
        Interlocked.Increment(ref _active);
        return new Lease(this);
    }

    private sealed class Lease(MinervaServer server) : IDisposable
    {
        private int _released;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            Interlocked.Decrement(ref server._active);
            server._slots.Release();
        }
    }

    internal void Count(string endpoint, int status)
    {
        Interlocked.Increment(ref _requests);
        if (status >= 400) Interlocked.Increment(ref _errors);
        lock (_byStatus) _byStatus[(endpoint, status)] = _byStatus.GetValueOrDefault((endpoint, status)) + 1;
    }

    internal void Record(string id, string endpoint, int promptTokens, int generated, double firstTokenSeconds, Stopwatch clock)
    {
        Interlocked.Add(ref _promptTokens, promptTokens);
        Interlocked.Add(ref _generatedTokens, generated);
        Interlocked.Add(ref _generationTicks, clock.Elapsed.Ticks);
        if (Options.Log is not { } log) return;
        double seconds = clock.Elapsed.TotalSeconds, genSeconds = seconds - firstTokenSeconds;
        double rate = generated > 1 && genSeconds > 0 ? (generated - 1) / genSeconds : 0;
        lock (_logGate)
        {
            log.WriteLine($"{DateTime.UtcNow:O} {id} {endpoint} prompt={promptTokens} generated={generated} ttft={firstTokenSeconds * 1000:F0}ms " +
                          $"total={seconds * 1000:F0}ms tps={rate:F1}");
            log.Flush();
        }
    }

    /// <summary>Prometheus text exposition of the counters.</summary>
    internal string Metrics()
    {
        var sb = new System.Text.StringBuilder();
        void Metric(string name, string type, string help, FormattableString value)
        {
            sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            sb.Append(System.FormattableString.Invariant(value)).Append('\n');
        }
        Metric("minerva_requests_total", "counter", "HTTP requests answered.", $"minerva_requests_total {Interlocked.Read(ref _requests)}");
        lock (_byStatus)
            foreach (var ((endpoint, status), n) in _byStatus.OrderBy(k => k.Key.Endpoint).ThenBy(k => k.Key.Status))
                sb.Append(System.FormattableString.Invariant($"minerva_requests_by_status_total{{endpoint=\"{endpoint}\",status=\"{status}\"}} {n}\n"));
        Metric("minerva_request_errors_total", "counter", "Requests answered with an error status.", $"minerva_request_errors_total {Interlocked.Read(ref _errors)}");
        Metric("minerva_requests_active", "gauge", "Requests generating now.", $"minerva_requests_active {Volatile.Read(ref _active)}");
        Metric("minerva_queue_depth", "gauge", "Requests waiting for a slot.", $"minerva_queue_depth {Math.Max(0, Volatile.Read(ref _waiting))}");
        Metric("minerva_prompt_tokens_total", "counter", "Prompt tokens of finished requests.", $"minerva_prompt_tokens_total {Interlocked.Read(ref _promptTokens)}");
        Metric("minerva_generated_tokens_total", "counter", "Tokens generated.", $"minerva_generated_tokens_total {Interlocked.Read(ref _generatedTokens)}");
        double seconds = TimeSpan.FromTicks(Interlocked.Read(ref _generationTicks)).TotalSeconds;
        Metric("minerva_generation_seconds_total", "counter", "Time requests spent generating, summed.", $"minerva_generation_seconds_total {seconds:F3}");
        Metric("minerva_tokens_per_second", "gauge", "Generated tokens per request-second, over all finished requests.",
            $"minerva_tokens_per_second {(seconds > 0 ? Interlocked.Read(ref _generatedTokens) / seconds : 0):F2}");
        var model = _model;
        Metric("minerva_kv_sequences_in_use", "gauge", "KV pool slots held by sessions.", $"minerva_kv_sequences_in_use {model?.ActiveSessions ?? 0}");
        Metric("minerva_kv_sequences_total", "gauge", "KV pool slots.", $"minerva_kv_sequences_total {model?.MaxSequences ?? 0}");
        Metric("minerva_model_ready", "gauge", "1 when the model is loaded.", $"minerva_model_ready {(model is null ? 0 : 1)}");
        return sb.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await Task.Yield();
        _chat?.Dispose();
        _model?.Dispose();
        _slots.Dispose();
    }
}
