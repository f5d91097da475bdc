using Minerva.Native.Model;
using Minerva.Native.Quantization;

namespace Minerva.Native.Cli.Commands;

/// <summary>`minerva-native make-model`: a deterministic random-weight model with a preset's exact architecture.</summary>
public static class MakeModelCommand
{
    public static string Usage => $"""
        usage: minerva-native make-model --preset {string.Join("|", ModelPreset.Names)} --format gguf|safetensors [--type TYPE] [--seed N] -o PATH
          --type   {string.Join("|", QuantMix.All.Select(m => m.Name))} (default f32; safetensors: f32|f16|bf16)
          --seed   weights seed (default {SyntheticModels.DefaultSeed}); same seed, same bytes
          -o       output .gguf file, or folder for safetensors
        """;

    public static int Run(Args a)
    {
        if (a.Help) { Console.WriteLine(Usage); return 0; }
        string preset = a.Option("--preset") ?? "tiny";
        string format = a.Option("--format") ?? "gguf";
        string type = a.Option("--type") ?? "f32";
        string seedText = a.Option("--seed") ?? SyntheticModels.DefaultSeed.ToString();
        string output = a.Option("-o", "--output") ?? throw new UsageException("-o PATH is required");
        a.Positionals().ForEach(p => throw new UsageException($"unexpected argument '{p}'"));
        if (!ulong.TryParse(seedText, out ulong seed)) throw new UsageException($"--seed expects a non-negative integer, got '{seedText}'");
        if (format is not ("gguf" or "safetensors")) throw new UsageException($"--format must be gguf or safetensors, not '{format}'");
        var config = ModelPreset.Get(preset);
        var mix = QuantMix.Parse(type);
        using var bar = new ProgressBar($"writing {output}");
        SyntheticModels.Write(config, format, mix, seed, output, bar, ModelPreset.TokenizerFor(preset));
        bar.Done();
        Console.WriteLine($"wrote {output}: {preset} ({config.Layers} layers, hidden {config.HiddenSize}, vocab {config.VocabSize}), {format} {mix.Name}, seed {seed}");
        return 0;
    }
}
