// The command line of minerva-loadgen, parsed into one record; every mistake an ArgumentException (exit code 2).
using System.Globalization;

namespace Minerva.Native.LoadGen;

internal sealed record LoadGenOptions
{
    public const string Help = """
        usage: minerva-loadgen [--url URL] [options]                 load an OpenAI-compatible server
               minerva-loadgen --peer-llamacpp MODEL.gguf [options]  the same load on llama.cpp's batched decode, in-process

        Per concurrency level C, C clients each send a streaming greedy chat completion (temperature 0, one user message,
        stream_options.include_usage) and the next as soon as theirs ends, until the level's requests are done. Reports
        aggregate generated tokens/s, time to first token and request latency (p50/p95), per-stream tokens/s and errors.

          --url URL             the server's root (default http://127.0.0.1:8080)
          --concurrency LIST    levels, e.g. 1,4,16 (default 1,4,16)
          --requests N[,N...]   requests per level, one value or one per level (default 16)
          --prompt TEXT         the user message, or:
          --prompt-tokens N     a prompt of about N tokens, chat template and BOS included (default 32); sized with the
                                server's /tokenize (or llama.cpp's tokenizer)
          --max-tokens N        tokens to generate per request (default 32)
          --warmup N            uncounted requests, one at a time, before the levels (default 1)
          --model NAME          the request's model field (default: the first of GET /v1/models)
          --api-key KEY         sent as 'Authorization: Bearer KEY'
          --timeout S           per-request limit in seconds (default 300)
          --label NAME          the engine column (default: server, or llama.cpp)
          --run N               the run column, to tell repeated runs apart (default 1)
          --csv PATH            append the level summaries (header written once)
          --json PATH           write options, machine, levels and every request
        peer mode (--peer-llamacpp): llama.cpp through LLamaSharp's BatchedExecutor, greedy, EOS ignored
          --parallel N          KV sequences, as serve's --parallel (default: the largest level)
          --ctx-size N          context per sequence, as serve's -c (default 2048)
          --batch-size N        rows per llama_decode, as serve's -b (default 512)
          --threads N           CPU threads (default: all logical cores)
          -h, --help            this text

        exit codes: 0 every request succeeded; 1 some failed; 2 bad command line; 3 could not run
        """;

    public Uri Url { get; init; } = new("http://127.0.0.1:8080");
    public string? PeerModel { get; init; }
    public IReadOnlyList<int> Levels { get; init; } = [1, 4, 16];
    public IReadOnlyList<int> Requests { get; init; } = [16];
    public string? Prompt { get; init; }
    public int PromptTokens { get; init; } = 32;
    public int MaxTokens { get; init; } = 32;
    public int Warmup { get; init; } = 1;
    public string? Model { get; init; }
    public string? ApiKey { get; init; }
    public int TimeoutSeconds { get; init; } = 300;
    public string? Label { get; init; }
    public int Run { get; init; } = 1;
    public string? Csv { get; init; }
    public string? Json { get; init; }
    public int? Parallel { get; init; }
    public int CtxSize { get; init; } = 2048;
    public int BatchSize { get; init; } = 512;
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Requests of the i-th level.</summary>
    public int RequestsAt(int level) => Requests.Count == 1 ? Requests[0] : Requests[level];

    public static LoadGenOptions Parse(IEnumerable<string> args)
    {
        var a = args.ToList();
        var o = new LoadGenOptions();
        if (Take(a, "--url") is { } url)
            o = o with { Url = Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? u : throw new ArgumentException($"--url '{url}' is not an http(s) URL") };
        o = o with
        {
            PeerModel = Take(a, "--peer-llamacpp"),
            Levels = List(a, "--concurrency") ?? o.Levels,
            Requests = List(a, "--requests") ?? o.Requests,
            Prompt = Take(a, "--prompt"),
            PromptTokens = Int(a, "--prompt-tokens") ?? o.PromptTokens,
            MaxTokens = Int(a, "--max-tokens") ?? o.MaxTokens,
            Warmup = Int(a, "--warmup") ?? o.Warmup,
            Model = Take(a, "--model"),
            ApiKey = Take(a, "--api-key"),
            TimeoutSeconds = Int(a, "--timeout") ?? o.TimeoutSeconds,
            Label = Take(a, "--label"),
            Run = Int(a, "--run") ?? o.Run,
            Csv = Take(a, "--csv"),
            Json = Take(a, "--json"),
            Parallel = Int(a, "--parallel"),
            CtxSize = Int(a, "--ctx-size") ?? o.CtxSize,
            BatchSize = Int(a, "--batch-size") ?? o.BatchSize,
            Threads = Int(a, "--threads") ?? o.Threads,
        };
        if (a.Count > 0) throw new ArgumentException($"unknown argument '{a[0]}'");
        if (o.Levels.Count == 0 || o.Levels.Any(c => c < 1)) throw new ArgumentException("--concurrency levels must be at least 1");
        if (o.Requests.Any(n => n < 1)) throw new ArgumentException("--requests must be at least 1");
        if (o.Requests.Count != 1 && o.Requests.Count != o.Levels.Count)
            throw new ArgumentException($"--requests gives {o.Requests.Count} counts for {o.Levels.Count} levels: give one, or one per level");
        if (o.Prompt is { Length: 0 }) throw new ArgumentException("--prompt is empty");
        if (o.PromptTokens < 1 || o.MaxTokens < 1) throw new ArgumentException("--prompt-tokens and --max-tokens must be at least 1");
        if (o.Warmup < 0 || o.TimeoutSeconds < 1 || o.Threads < 1 || o.CtxSize < 1 || o.BatchSize < 1 || o.Parallel is < 1)
            throw new ArgumentException("--warmup must not be negative; --timeout, --threads, --ctx-size, --batch-size, --parallel at least 1");
        if (o.PeerModel is not null && !File.Exists(o.PeerModel)) throw new ArgumentException($"--peer-llamacpp {o.PeerModel}: no such file");
        return o;
    }

    private static string? Take(List<string> a, string name)
    {
        string? value = null;
        for (int i = a.IndexOf(name); i >= 0; i = a.IndexOf(name))
        {
            if (i + 1 >= a.Count) throw new ArgumentException($"{name} needs a value");
            value = a[i + 1];
            a.RemoveRange(i, 2);
        }
        return value;
    }

    private static int? Int(List<string> a, string name) => Take(a, name) is { } v ? ParseInt(name, v) : null;

    private static int[]? List(List<string> a, string name) =>
        Take(a, name)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(v => ParseInt(name, v)).ToArray();

    private static int ParseInt(string name, string v) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : throw new ArgumentException($"{name} expects integers, got '{v}'");
}
