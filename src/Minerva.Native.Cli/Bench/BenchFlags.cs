// The flags of `minerva-native bench`, declared once, and their binding to BenchOptions (bad values: one line, exit 2).
using System.CommandLine;
using Minerva.Native.Cli.Parsing;

namespace Minerva.Native.Cli.Bench;

public sealed class BenchFlags
{
    private static readonly string ScenarioNames = string.Join(", ", BenchScenario.Presets.Append(BenchScenario.Concurrent).Select(p => p.Name));

    private readonly Option<string[]> _models = new Option<string[]>("--model", "-m")
    {
        Description = "a .gguf file or a safetensors file/folder (repeatable); replaces the synthetic models", HelpName = "PATH",
    }.MustExist(m => $"--model '{m}' does not exist");
    private readonly Option<bool> _allTypes = new("--all-types") { Description = "synthetic models also in GGUF Q4_0, Q8_0 and F16" };
    private readonly Option<string> _modelsDir = new("--models-dir")
    {
        Description = "where synthetic models are written and reused", HelpName = "DIR", DefaultValueFactory = _ => "models",
    };
    private readonly Option<bool> _quick = new("--quick") { Description = "tiny synthetic model, one short scenario, 1 run, no warm-up: a smoke test in seconds" };
    private readonly Option<string[]> _devices = new Option<string[]>("--device")
    {
        Description = "run on this device only (repeatable; default: cpu, and cuda when a GPU is usable)", HelpName = "cpu|cuda",
    }.OneOf(["cpu", "cuda"], d => $"--device must be cpu or cuda, got '{d}'");
    private readonly Option<string[]> _scenarios = new Option<string[]>("--scenario")
    {
        Description = "short-chat (32/128), long-prompt (512/32), long-gen (16/512), latency (1/64) (prompt/generated tokens; " +
                      "repeatable; default: all four), concurrent (see --concurrency)",
        HelpName = "NAME",
    }.Check(s => BenchScenario.Find(s) is null ? $"unknown scenario '{s}' (one of {ScenarioNames})" : null).Completing(ScenarioNames.Split(", "));
    private readonly Option<List<int>> _concurrency = new("--concurrency")
    {
        Description = "the concurrent scenario at these stream counts (default with --scenario concurrent: 1,4,8,16): per count C, " +
                      "C sessions on one loaded model each generate at once from their own task (32-token prompt, 64 generated, " +
                      "greedy, EOS ignored); reports aggregate generated tokens/s, median per-stream tokens/s and time to first " +
                      "token, and the rows per forward step. Alone it runs only this scenario; with --scenario after the named ones",
        HelpName = "LIST",
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = result =>
        {
            try { return BenchScenario.ParseStreams(result.Tokens[0].Value); }
            catch (ArgumentException e) { result.AddError(e.Message); return null; }
        },
    };
    private readonly Option<int> _promptTokens = new Option<int>("--prompt-tokens")
    {
        Description = "override the prompt length of the selected scenarios", HelpName = "N",
    }.Range(min: 1);
    private readonly Option<int> _genTokens = new Option<int>("--gen-tokens")
    {
        Description = "override the generated tokens of the selected scenarios", HelpName = "N",
    }.Range(min: 2);
    private readonly Option<int> _runs = new Option<int>("--runs") { Description = "counted runs per cell (default 3; 1 with --quick)", HelpName = "N" }.Range(min: 1);
    private readonly Option<int> _warmup = new Option<int>("--warmup") { Description = "uncounted runs before them (default 1; 0 with --quick)", HelpName = "N" }.Range(min: 0);
    private readonly Option<int> _threads = new Option<int>("--threads")
    {
        Description = "CPU threads (default: all logical cores)", HelpName = "N",
    }.Range(min: 1);
    private readonly Option<string> _csv = new("--csv")
    {
        Description = "one row per run (default: bench-results/bench-<timestamp>.csv); the JSON, the SVG chart and the HTML report go beside it", HelpName = "PATH",
    };
    private readonly Option<bool> _json = new("--json") { Description = "write the JSON copy of the results beside the CSV (the default)" };
    private readonly Option<bool> _noJson = new("--no-json") { Description = "do not write the JSON copy" };
    private readonly Option<bool> _noChart = new("--no-chart") { Description = "do not write the SVG chart (the HTML report is still written, without it)" };
    private readonly Option<string> _compare = new Option<string>("--compare")
    {
        Description = "print ours / llama.cpp ratios per cell against a tools/Minerva.Native.PeerBench CSV", HelpName = "PEER.csv",
    }.MustExist(f => $"'{f}' does not exist");
    private readonly Option<string> _results = new Option<string>("--results")
    {
        Description = "do not run: summarise (and --compare) an earlier result CSV", HelpName = "OURS.csv",
    }.MustExist(f => $"'{f}' does not exist");

    public BenchFlags()
    {
        Command = new CliCommand("bench", "time load, first token, prompt and generation speed (vs llama.cpp with --compare)")
        {
            Epilog = """
                Times model load, time to first token, prompt and generation tokens/s, peak memory, over models x devices x
                scenarios x runs. Without --model it benchmarks synthetic TinyLlama-1.1B-shaped models (GGUF Q4_K_M,
                safetensors BF16) that it writes into models/ on first use.

                Exit codes: 0 done; 1 a model failed to load or run (the other cells are still reported and written);
                2 bad command line; 3 --compare matched no cell; 130 cancelled (what was measured is still written).
                """,
        };
        Option[] all = [_models, _allTypes, _modelsDir, _quick, _devices, _scenarios, _concurrency, _promptTokens, _genTokens,
                        _runs, _warmup, _threads, _csv, _json, _noJson, _noChart, _compare, _results];
        foreach (var option in all) Command.Add(option);
        Command.Validators.Add(result =>
        {
            bool models = result.GetValue(_models) is { Length: > 0 }, allTypes = result.GetValue(_allTypes);
            if (result.GetValue(_quick) && (models || allTypes)) result.AddError("--quick uses its own tiny model: drop --model/--all-types");
            else if (models && allTypes) result.AddError("--all-types applies to the synthetic models only, not to --model");
        });
    }

    public CliCommand Command { get; }

    public BenchOptions Bind(ParseResult result)
    {
        bool quick = result.GetValue(_quick);
        int? promptTokens = result.Given(_promptTokens), genTokens = result.Given(_genTokens);
        var streams = result.GetResult(_concurrency) is { Implicit: false } ? result.GetValue(_concurrency) : null;
        var scenarios = new List<BenchScenario>();
        foreach (string name in result.GetValue(_scenarios) ?? [])
            if (BenchScenario.Find(name) is { } s && !scenarios.Contains(s)) scenarios.Add(s);
        if (streams is not null && !scenarios.Contains(BenchScenario.Concurrent)) scenarios.Add(BenchScenario.Concurrent);
        if (scenarios.Count == 0) scenarios.AddRange(quick ? [BenchScenario.Quick] : BenchScenario.Presets);
        scenarios = [.. scenarios.Select(s => s with { PromptTokens = promptTokens ?? s.PromptTokens, GenTokens = genTokens ?? s.GenTokens })];

        return new BenchOptions
        {
            Models = [.. result.GetValue(_models) ?? []], AllTypes = result.GetValue(_allTypes), Quick = quick,
            ModelsDir = result.GetValue(_modelsDir)!,
            Devices = [.. (result.GetValue(_devices) ?? []).Select(d => d.ToLowerInvariant()).Distinct()],
            Scenarios = BenchScenario.ExpandStreams(scenarios, streams),
            Runs = result.Given(_runs) ?? (quick ? 1 : 3), Warmup = result.Given(_warmup) ?? (quick ? 0 : 1),
            Threads = result.Given(_threads) ?? Environment.ProcessorCount, CsvPath = result.GetValue(_csv), Json = !result.GetValue(_noJson),
            Chart = !result.GetValue(_noChart), ComparePath = result.GetValue(_compare), ResultsPath = result.GetValue(_results),
        };
    }
}
