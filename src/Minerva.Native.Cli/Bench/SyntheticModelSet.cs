// The embedded default models: TinyLlama-1.1B-shaped synthetic weights (or the `tiny` preset for --quick), written once into models/.
namespace Minerva.Native.Cli.Bench;

/// <summary>Names, places and (on first use) writes the synthetic models the bench runs when no --model is given.</summary>
public static class SyntheticModelSet
{
    public const string DefaultPreset = "tinyllama-1.1b";
    public const string QuickPreset = "tiny";

    /// <summary>GGUF Q4_K_M (~640 MiB) and safetensors BF16 (~2 GiB, HF folder layout).</summary>
    public static IReadOnlyList<(string Format, string Type)> DefaultTypes { get; } = [("gguf", "Q4_K_M"), ("safetensors", "BF16")];

    /// <summary>--all-types: the defaults plus GGUF Q4_0, Q8_0 and F16.</summary>
    public static IReadOnlyList<(string Format, string Type)> AllTypes { get; } =
        [("gguf", "Q4_K_M"), ("gguf", "Q4_0"), ("gguf", "Q8_0"), ("gguf", "F16"), ("safetensors", "BF16")];

    /// <summary>--quick: the tiny model in both formats.</summary>
    public static IReadOnlyList<(string Format, string Type)> QuickTypes { get; } = [("gguf", "Q8_0"), ("safetensors", "BF16")];

    /// <summary>models/synthetic-PRESET-TYPE.gguf, or the folder models/synthetic-PRESET-TYPE for safetensors.</summary>
    public static string PathFor(string modelsDir, string preset, string format, string type) =>
        Path.Combine(modelsDir, $"synthetic-{preset}-{type}" + (format == "gguf" ? ".gguf" : ""));

    /// <summary>Returns the targets, writing each model that is not on disk yet (deterministic seed: same bytes every time).</summary>
    public static List<BenchTarget> Ensure(IBenchEngine engine, string modelsDir, string preset,
        IReadOnlyList<(string Format, string Type)> types, TextWriter log, bool interactive)
    {
        var targets = new List<BenchTarget>();
        foreach (var (format, type) in types)
        {
            string path = PathFor(modelsDir, preset, format, type);
            if (File.Exists(path) || Directory.Exists(path))
            {
                log.WriteLine($"using {path}");
            }
            else
            {
                Directory.CreateDirectory(modelsDir);
                log.WriteLine($"writing synthetic {preset} {format} {type} model to {path} (first run only)");
                var bar = new ProgressBar(log, Path.GetFileName(path), interactive);
                engine.WriteSyntheticModel(preset, format, type, path, bar);
                bar.Done();
            }
            targets.Add(new BenchTarget(path, format, type));
        }
        return targets;
    }
}
