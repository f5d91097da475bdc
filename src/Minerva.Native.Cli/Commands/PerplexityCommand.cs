using System.CommandLine;
using Minerva.Native.Cli.Parsing;
using Minerva.Native.Generation;

namespace Minerva.Native.Cli.Commands;

/// <summary>`minerva-native perplexity -m MODEL -f TEXT [-c 512]`: llama.cpp's perplexity, number for number.</summary>
public static class PerplexityCommand
{
    public static Command Create()
    {
        var model = Common.Model();
        var file = new Option<string>("--file", "-f") { Description = "the text to score", HelpName = "TEXT_FILE", Required = true };
        var load = new LoadFlags(512, "tokens per chunk");
        var command = new CliCommand("perplexity", "perplexity of a text file, computed as llama.cpp's perplexity tool does")
        {
            Epilog = "Chunks of -c tokens, BOS first, the second half of each chunk scored (as llama.cpp's perplexity tool).",
        };
        command.Add(model);
        command.Add(file);
        load.AddTo(command);
        command.SetAction(r => Run(r.GetValue(model)!, File.ReadAllText(r.GetValue(file)!), load.Bind(r)));
        return command;
    }

    private static int Run(string model, string text, ModelOptions load)
    {
        int ctx = load.ContextLength;
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
