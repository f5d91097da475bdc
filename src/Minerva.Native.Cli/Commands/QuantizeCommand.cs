using System.CommandLine;
using Minerva.Native.Cli.Parsing;
using Minerva.Native.Quantization;
using Minerva.Native.Tensors;
using Minerva.Native.Model;

namespace Minerva.Native.Cli.Commands;

/// <summary>`minerva-native quantize IN OUT --type TYPE`.</summary>
public static class QuantizeCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("IN") { Description = "a GGUF (F32/F16/BF16) file or a Hugging Face safetensors folder" };
        var output = new Argument<string>("OUT") { Description = "the GGUF file to write (llama.cpp's tensor names, Q/K permutation and type mix)" };
        var type = new Option<string>("--type")
        {
            Description = $"the type mix to write: {string.Join(", ", QuantMix.All.Where(m => m.Name != "f32").Select(m => m.Name))}", HelpName = "TYPE", Required = true,
        }.OneOf(QuantMix.All.Select(m => m.Name), t => $"unknown type '{t}' (one of: {string.Join(", ", QuantMix.All.Select(m => m.Name))})");
        var command = new CliCommand("quantize", "convert a GGUF or safetensors model to a quantized GGUF") { input, output, type };
        command.SetAction(r => Run(r.GetValue(input)!, r.GetValue(output)!, QuantMix.Parse(r.GetValue(type)!)));
        return command;
    }

    private static int Run(string input, string output, QuantMix mix)
    {
        using var bar = new ProgressBar($"quantizing to {mix.Name}");
        var r = ModelQuantizer.Quantize(input, output, mix, bar);
        bar.Done();
        Console.WriteLine($"wrote {output}: {r.Tensors} tensors, {Common.Bytes(r.InputBytes)} -> {Common.Bytes(r.OutputBytes)}; " +
                          string.Join(", ", r.TypeCounts.OrderByDescending(k => k.Value).Select(k => $"{GgmlTypes.Info(k.Key).Name} x{k.Value}")));
        return 0;
    }
}
