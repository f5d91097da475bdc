// `minerva-native bench` flags → a validated option set (bad values throw UsageException: one line, exit 2).
using System.Globalization;

namespace Minerva.Native.Cli.Bench;

public sealed record BenchOptions
{
    public List<string> Models { get; init; } = [];
    public bool AllTypes { get; init; }
    public bool Quick { get; init; }
    public string ModelsDir { get; init; } = "models";
    public List<string> Devices { get; init; } = [];
    public List<BenchScenario> Scenarios { get; init; } = [];
    public int Runs { get; init; } = 3;
    public int Warmup { get; init; } = 1;
    public int Threads { get; init; } = Environment.ProcessorCount;
    public string? CsvPath { get; init; }
    public bool Json { get; init; } = true;
    public bool Chart { get; init; } = true;
    public string? ComparePath { get; init; }
    public string? ResultsPath { get; init; }

    public const string Help = """
        usage: minerva-native bench [options]

        Times model load, time to first token, prompt and generation tokens/s, peak memory, over
        models x devices x scenarios x runs. Without --model it benchmarks synthetic TinyLlama-1.1B-shaped
        models (GGUF Q4_K_M, safetensors BF16) that it writes into models/ on first use.

        models
          --model PATH          a .gguf file or a safetensors file/folder (repeatable); replaces the synthetic models
          --all-types           synthetic models also in GGUF Q4_0, Q8_0 and F16
          --models-dir DIR      where synthetic models are written and reused (default: models)
          --quick               tiny synthetic model, one short scenario, 1 run, no warm-up: a smoke test in seconds
        matrix
          --device cpu|cuda     run on this device only (repeatable; default: cpu, and cuda when a GPU is usable)
          --scenario NAME       short-chat (32/128), long-prompt (512/32), long-gen (16/512), latency (1/64)
                                (prompt/generated tokens; repeatable; default: all four), concurrent (below)
          --concurrency LIST    the concurrent scenario at these stream counts, e.g. 1,4,8,16 (default with
                                --scenario concurrent: 1,4,8,16): per count C, C sessions on one loaded model each
                                generate at once from their own task (32-token prompt, 64 generated, greedy, EOS
                                ignored; the model holds C sequences); reports aggregate generated tokens/s (all streams
                                / wall time from the first prompt to the last token), median per-stream tokens/s and time
                                to first token, and the rows per forward step the engine batched. Alone it runs only
                                this scenario; with --scenario it runs after the named ones
          --prompt-tokens N     override the prompt length of the selected scenarios
          --gen-tokens N        override the generated tokens of the selected scenarios (at least 2)
          --runs N              counted runs per cell (default 3)
          --warmup N            uncounted runs before them (default 1)
          --threads N           CPU threads (default: all logical cores)
        output
          --csv PATH            one row per run (default: bench-results/bench-<timestamp>.csv); the PNG chart goes beside it
          --no-json             do not write the JSON copy of the results (written beside the CSV by default; --json is accepted)
          --no-chart            do not write the PNG chart
          --compare PEER.csv    print ours / llama.cpp ratios per cell against a tools/Minerva.Native.PeerBench CSV
          --results OURS.csv    do not run: summarise (and --compare) an earlier result CSV
          -h, --help            this text

        exit codes: 0 done; 1 a model failed to load or run (the other cells are still reported and written);
                    2 bad command line; 3 --compare matched no cell
        """;

    public static BenchOptions Parse(Args args)
    {
        var models = args.Options("--model", "-m");
        bool allTypes = args.Flag("--all-types");
        bool quick = args.Flag("--quick");
        string modelsDir = args.Option("--models-dir") ?? "models";
        var devices = args.Options("--device").Select(d => d.ToLowerInvariant()).ToList();
        var scenarioNames = args.Options("--scenario");
        string? concurrency = args.Option("--concurrency");
        int? promptTokens = OptionalInt(args, "--prompt-tokens");
        int? genTokens = OptionalInt(args, "--gen-tokens");
        int runs = args.Int(quick ? 1 : 3, "--runs");
        int warmup = args.Int(quick ? 0 : 1, "--warmup");
        int threads = args.Int(Environment.ProcessorCount, "--threads");
        string? csv = args.Option("--csv");
        bool json = !args.Flag("--no-json");
        args.Flag("--json");
        bool noChart = args.Flag("--no-chart");
        string? compare = args.Option("--compare");
        string? results = args.Option("--results");
        var rest = args.Positionals();
        if (rest.Count > 0) throw new UsageException($"unexpected argument '{rest[0]}'");

        if (devices.FirstOrDefault(d => d is not ("cpu" or "cuda")) is { } bad) throw new UsageException($"--device must be cpu or cuda, got '{bad}'");
        if (runs < 1) throw new UsageException($"--runs must be at least 1, got {runs}");
        if (warmup < 0) throw new UsageException($"--warmup must not be negative, got {warmup}");
        if (threads < 1) throw new UsageException($"--threads must be at least 1, got {threads}");
        if (promptTokens is < 1) throw new UsageException($"--prompt-tokens must be at least 1, got {promptTokens}");
        if (genTokens is < 2) throw new UsageException($"--gen-tokens must be at least 2, got {genTokens}");
        if (quick && (models.Count > 0 || allTypes)) throw new UsageException("--quick uses its own tiny model: drop --model/--all-types");
        if (models.Count > 0 && allTypes) throw new UsageException("--all-types applies to the synthetic models only, not to --model");
        foreach (string m in models)
            if (!File.Exists(m) && !Directory.Exists(m)) throw new UsageException($"--model '{m}' does not exist");
        foreach (string? f in new[] { compare, results })
            if (f is not null && !File.Exists(f)) throw new UsageException($"'{f}' does not exist");

        List<int>? streams;
        try { streams = concurrency is null ? null : BenchScenario.ParseStreams(concurrency); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }

        var scenarios = new List<BenchScenario>();
        foreach (string name in scenarioNames)
        {
            var s = BenchScenario.Find(name) ?? throw new UsageException(
                $"unknown scenario '{name}' (one of {string.Join(", ", BenchScenario.Presets.Append(BenchScenario.Concurrent).Select(p => p.Name))})");
            if (!scenarios.Contains(s)) scenarios.Add(s);
        }
        if (streams is not null && !scenarios.Contains(BenchScenario.Concurrent)) scenarios.Add(BenchScenario.Concurrent);
        if (scenarios.Count == 0) scenarios.AddRange(quick ? [BenchScenario.Quick] : BenchScenario.Presets);
        scenarios = [.. scenarios.Select(s => s with { PromptTokens = promptTokens ?? s.PromptTokens, GenTokens = genTokens ?? s.GenTokens })];
        scenarios = BenchScenario.ExpandStreams(scenarios, streams);

        return new BenchOptions
        {
            Models = models, AllTypes = allTypes, Quick = quick, ModelsDir = modelsDir, Devices = [.. devices.Distinct()],
            Scenarios = scenarios, Runs = runs, Warmup = warmup, Threads = threads, CsvPath = csv, Json = json,
            Chart = !noChart, ComparePath = compare, ResultsPath = results,
        };
    }

    private static int? OptionalInt(Args args, string name) => args.Option(name) is { } v
        ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : throw new UsageException($"{name} expects an integer, got '{v}'")
        : null;
}
