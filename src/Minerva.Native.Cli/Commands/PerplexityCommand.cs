using Minerva.Native.Generation;

namespace Minerva.Native.Cli.Commands;

/// <summary>`minerva-native perplexity -m MODEL -f TEXT [-c 512]`: llama.cpp's perplexity, number for number.</summary>
public static class PerplexityCommand
{
    public const string Usage = """
        usage: minerva-native perplexity -m MODEL -f TEXT_FILE [-c 512] [--device ..] [--threads N]
          chunks of -c tokens, BOS first, second half of each chunk scored (as llama.cpp's perplexity tool)
        """;

    public static int Run(Args a)
    {
        if (a.Help) { Console.WriteLine(Usage); return 0; }
        string model = a.Option("-m", "--model") ?? throw new UsageException("-m MODEL is required");
        string file = a.Option("-f", "--file") ?? throw new UsageException("-f TEXT_FILE is required");
        int ctx = a.Int(512, "-c", "--ctx-size");
        var load = Common.ModelOptions(a) with { ContextLength = ctx };
        a.Positionals().ForEach(p => throw new UsageException($"unexpected argument '{p}'"));
        string text = File.ReadAllText(file);
        using var m = LlamaModel.Load(model, load);
        PerplexityChunk? last = null;
        foreach (var chunk in Perplexity.Compute(m, text, ctx))
        {
            Console.Write($"[{chunk.Index}]{chunk.RunningPerplexity:F4},");
            last = chunk;
        }
        Console.WriteLine();
        Console.WriteLine($"Final estimate: PPL = {last!.RunningPerplexity:F4} ({last.Index} chunks of {ctx} tokens)");
        return 0;
    }
}
