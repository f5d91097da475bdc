using Minerva.Native.Quantization;
using Minerva.Native.Tensors;
using Minerva.Native.Model;

namespace Minerva.Native.Cli.Commands;

/// <summary>`minerva-native quantize IN OUT --type TYPE`.</summary>
public static class QuantizeCommand
{
    public static string Usage => $"""
        usage: minerva-native quantize IN OUT --type {string.Join("|", QuantMix.All.Where(m => m.Name != "f32").Select(m => m.Name))}
          IN   a GGUF (F32/F16/BF16) file or a Hugging Face safetensors folder
          OUT  the GGUF file to write (llama.cpp's tensor names, Q/K permutation and type mix)
        """;

    public static int Run(Args a)
    {
        if (a.Help) { Console.WriteLine(Usage); return 0; }
        string type = a.Option("--type") ?? throw new UsageException("--type TYPE is required");
        var p = a.Positionals();
        if (p.Count != 2) throw new UsageException("give IN and OUT");
        var mix = QuantMix.Parse(type);
        using var bar = new ProgressBar($"quantizing to {mix.Name}");
        var r = ModelQuantizer.Quantize(p[0], p[1], mix, bar);
        bar.Done();
        Console.WriteLine($"wrote {p[1]}: {r.Tensors} tensors, {Common.Bytes(r.InputBytes)} -> {Common.Bytes(r.OutputBytes)}; " +
                          string.Join(", ", r.TypeCounts.OrderByDescending(k => k.Value).Select(k => $"{GgmlTypes.Info(k.Key).Name} x{k.Value}")));
        return 0;
    }
}
