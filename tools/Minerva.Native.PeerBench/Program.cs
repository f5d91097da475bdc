// minerva-peerbench: the bench scenarios on GGUF files through llama.cpp, written as the same CSV `minerva-native bench --compare` reads.
using System.Globalization;
using Minerva.Native.Cli.Bench;
using Minerva.Native.PeerBench;

const string Help = """
    usage: minerva-peerbench [options]

    Runs the `minerva-native bench` scenarios through llama.cpp (LLamaSharp) with the same prompt token ids,
    thread count, greedy decoding and EOS ignored, and writes the same CSV columns (Engine = llama.cpp).
    Then: minerva-native bench --compare THIS.csv

      --model PATH          a .gguf file (repeatable; default: every models/synthetic-*.gguf)
      --device cpu|cuda     (repeatable; default: cpu, and cuda when the llama.cpp backend can offload)
      --scenario NAME       short-chat, long-prompt, long-gen, latency, quick, concurrent (repeatable; default: the four presets)
      --concurrency LIST    the concurrent scenario at these stream counts (e.g. 1,4,8,16; default with --scenario
                            concurrent: 1,4,8,16) through LLamaSharp's BatchedExecutor: one conversation per stream,
                            each Infer one llama_decode of every waiting stream's tokens; alone it runs only this scenario
      --prompt-tokens N     override the prompt length of the selected scenarios
      --gen-tokens N        override the generated tokens (at least 2)
      --runs N              counted runs per cell (default 3)
      --warmup N            uncounted runs before them (default 1)
      --threads N           CPU threads (default: all logical cores)
      --csv PATH            default: bench-results/llamacpp-<timestamp>.csv
      --interleave PAIRS    instead of the scenarios: decode with ours and llama.cpp in this one process, one token of
                            each in turn (who goes first alternates, --pause-ms before each), PAIRS pairs per --model
                            (CPU; sessions restart every --gen-tokens, default 64, after --prompt-tokens, default 16);
                            prints each engine's median step and the median per-pair speed ratio, ours / llama.cpp,
                            as a table row; --csv gets every step (model,threads,pair,ours_ms,llamacpp_ms)
      --interleave-prompt PAIRS
                            the same for prompt processing: each step a whole --prompt-tokens prompt (default 128) in a
                            fresh session; the ratio is of prompt tokens/s
      --pause-ms N          idle time before each interleaved step (default 20)
      -h, --help            this text

    exit codes: 0 done; 1 a cell failed; 2 bad command line
    """;

var argv = args.ToList();
try
{
    if (argv.Contains("--help") || argv.Contains("-h")) { Console.Write(Help); return 0; }
    var models = Take(argv, "--model");
    var devices = Take(argv, "--device").Select(d => d.ToLowerInvariant()).ToList();
    var scenarioNames = Take(argv, "--scenario");
    var streams = Take(argv, "--concurrency").LastOrDefault() is { } list ? BenchScenario.ParseStreams(list) : null;
    int? prompt = TakeInt(argv, "--prompt-tokens");
    int? gen = TakeInt(argv, "--gen-tokens");
    int runs = TakeInt(argv, "--runs") ?? 3;
    int warmup = TakeInt(argv, "--warmup") ?? 1;
    int threads = TakeInt(argv, "--threads") ?? Environment.ProcessorCount;
    string csv = Take(argv, "--csv").LastOrDefault()
        ?? Path.Combine("bench-results", $"llamacpp-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.csv");
    int? interleave = TakeInt(argv, "--interleave");
    int? interleavePrompt = TakeInt(argv, "--interleave-prompt");
    if (interleave is not null && interleavePrompt is not null) throw new ArgumentException("--interleave and --interleave-prompt: one at a time");
    int pause = TakeInt(argv, "--pause-ms") ?? 20;
    if (argv.Count > 0) throw new ArgumentException($"unknown argument '{argv[0]}'");
    if ((interleave ?? interleavePrompt) is { } pairs)
    {
        bool promptOnly = interleavePrompt is not null;
        if (pairs < 1 || pause < 0 || threads < 1 || models.Count == 0 || prompt is < 1 || gen is < 2)
            throw new ArgumentException("--interleave needs PAIRS >= 1, --model, --threads >= 1, --pause-ms >= 0, --prompt-tokens >= 1, --gen-tokens >= 2");
        LlamaCppEngine.QuietNativeLog();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(csv))!);
        using var steps = new StreamWriter(csv);
        steps.WriteLine("model,threads,pair,ours_ms,llamacpp_ms");
        string unit = promptOnly ? $"ms/{prompt ?? 128}-token prompt" : "ms/token";
        Console.WriteLine($"| model | threads | pairs | ours {unit} | llama.cpp {unit} | speed ratio ours/llama.cpp, median of pairs | p25 | p75 |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (string m in models)
        {
            var r = InterleavedDecode.Run(Path.GetFullPath(m), threads, pairs, prompt ?? (promptOnly ? 128 : 16), gen ?? 64, pause, promptOnly, steps);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Model} | {r.Threads} | {r.Pairs} | {r.OursMs:F2} | {r.PeerMs:F2} | {r.Ratio:F3}x | {r.RatioP25:F3} | {r.RatioP75:F3} |"));
        }
        Console.Error.WriteLine($"wrote {csv}");
        return 0;
    }
    if (runs < 1 || warmup < 0 || threads < 1 || prompt is < 1 || gen is < 2) throw new ArgumentException("--runs, --threads, --prompt-tokens >= 1; --warmup >= 0; --gen-tokens >= 2");

    if (models.Count == 0 && Directory.Exists("models")) models = [.. Directory.GetFiles("models", "synthetic-*.gguf").Order()];
    if (models.Count == 0) throw new ArgumentException("no --model and no models/synthetic-*.gguf (run `minerva-native bench` first to write them)");
    var scenarios = scenarioNames.Select(n => BenchScenario.Find(n) ?? throw new ArgumentException($"unknown scenario '{n}'")).Distinct().ToList();
    if (streams is not null && !scenarios.Contains(BenchScenario.Concurrent)) scenarios.Add(BenchScenario.Concurrent);
    if (scenarios.Count == 0) scenarios = [.. BenchScenario.Presets];
    scenarios = [.. scenarios.Select(s => s with { PromptTokens = prompt ?? s.PromptTokens, GenTokens = gen ?? s.GenTokens })];
    scenarios = BenchScenario.ExpandStreams(scenarios, streams);

    LlamaCppEngine.QuietNativeLog();
    var engine = new LlamaCppEngine();
    var available = engine.AvailableDevices();
    if (devices.Count == 0) devices = [.. available];
    if (devices.FirstOrDefault(d => !available.Contains(d)) is { } missing) throw new ArgumentException($"device '{missing}' is not available to this llama.cpp backend");

    var targets = models.Select(m => new BenchTarget(Path.GetFullPath(m), BenchTarget.FormatOf(m), "")).ToList();
    var machine = BenchMachine.Detect(engine, typeof(LlamaCppEngine).Assembly);
    var plan = new BenchPlan(targets, devices, scenarios, runs, warmup, threads);
    var outcome = new BenchRunner(engine, machine, Console.Error).Run(plan);
    BenchCsv.Write(csv, outcome.Records);
    Console.Error.WriteLine($"wrote {csv}");
    foreach (string f in outcome.Failures) Console.Error.WriteLine("failed: " + f);
    return outcome.Failures.Count > 0 ? 1 : 0;
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"minerva-peerbench: {e.Message}");
    return 2;
}

static List<string> Take(List<string> argv, string name)
{
    var values = new List<string>();
    for (int i = argv.IndexOf(name); i >= 0; i = argv.IndexOf(name))
    {
        if (i + 1 >= argv.Count) throw new ArgumentException($"{name} needs a value");
        values.Add(argv[i + 1]);
        argv.RemoveRange(i, 2);
    }
    return values;
}

static int? TakeInt(List<string> argv, string name) => Take(argv, name).LastOrDefault() is { } v
    ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : throw new ArgumentException($"{name} expects an integer, got '{v}'")
    : null;
