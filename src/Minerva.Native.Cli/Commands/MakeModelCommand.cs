using System.CommandLine;
using Minerva.Native.Cli.Parsing;
using Minerva.Native.Model;
using Minerva.Native.Quantization;

namespace Minerva.Native.Cli.Commands;

/// <summary>`minerva-native make-model`: a deterministic random-weight model with a preset's exact architecture.</summary>
public static class MakeModelCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"the architecture: {string.Join(", ", ModelPreset.Names)}", HelpName = "NAME", DefaultValueFactory = _ => "tiny" }
            .OneOf(ModelPreset.Names, p => $"unknown preset '{p}' (one of: {string.Join(", ", ModelPreset.Names)})");
        var format = new Option<string>("--format") { Description = "the file format", HelpName = "gguf|safetensors", DefaultValueFactory = _ => "gguf" }
            .OneOf(["gguf", "safetensors"], f => $"--format must be gguf or safetensors, not '{f}'");
        var type = new Option<string>("--type")
        {
            Description = $"weight type: {string.Join(", ", QuantMix.All.Select(m => m.Name))} (safetensors: f32, f16, bf16)", HelpName = "TYPE", DefaultValueFactory = _ => "f32",
        }.OneOf(QuantMix.All.Select(m => m.Name), t => $"unknown type '{t}' (one of: {string.Join(", ", QuantMix.All.Select(m => m.Name))})");
        var seed = new Option<ulong>("--seed") { Description = "weights seed; same seed, same bytes", HelpName = "N", DefaultValueFactory = _ => SyntheticModels.DefaultSeed }.Range();
        var output = new Option<string>("--output", "-o") { Description = "output .gguf file, or folder for safetensors", HelpName = "PATH", Required = true };
        var command = new CliCommand("make-model", "write a deterministic random-weight model (tiny, TinyLlama, Llama 3.2, SmolLM2 or Qwen2.5 shape)")
        {
            preset, format, type, seed, output,
        };
        command.SetAction(r => Run(r.GetValue(preset)!.ToLowerInvariant(), r.GetValue(format)!.ToLowerInvariant(), r.GetValue(type)!, r.GetValue(seed), r.GetValue(output)!));
        return command;
    }

    private static int Run(string preset, string format, string type, ulong seed, string output)
    {
        var config = ModelPreset.Get(preset);
        var mix = QuantMix.Parse(type);
        using var bar = new ProgressBar($"writing {output}");
        SyntheticModels.Write(config, format, mix, seed, output, bar, ModelPreset.TokenizerFor(preset));
        bar.Done();
        Console.WriteLine($"wrote {output}: {preset} ({config.Layers} layers, hidden {config.HiddenSize}, vocab {config.VocabSize}), {format} {mix.Name}, seed {seed}");
        return 0;
    }
}
