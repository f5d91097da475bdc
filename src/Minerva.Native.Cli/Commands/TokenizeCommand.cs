// `minerva-native tokenize`: text to token ids and pieces with a model's tokenizer (or a vocabulary-only GGUF's).
using Minerva.Native.Model;
namespace Minerva.Native.Cli.Commands;

/// <summary>`minerva-native tokenize -m MODEL "text" [--ids]`; MODEL may be a vocabulary-only GGUF.</summary>
public static class TokenizeCommand
{
    public const string Usage = """
        usage: minerva-native tokenize -m MODEL [--ids] [--no-bos] [--parse-special] TEXT
          prints one line per token: id and piece; --ids prints only the ids as a list
        """;

    public static int Run(Args a)
    {
        if (a.Help) { Console.WriteLine(Usage); return 0; }
        string model = a.Option("-m", "--model") ?? throw new UsageException("-m MODEL is required");
        bool idsOnly = a.Flag("--ids"), noBos = a.Flag("--no-bos"), special = a.Flag("--parse-special");
        var text = a.Positionals();
        if (text.Count != 1) throw new UsageException("give exactly one TEXT argument");
        // A GGUF's tokenizer needs no weights, so a vocabulary-only file (llama.cpp's ggml-vocab-*.gguf) is enough.
        using var source = IsGgufFile(model) ? null : Model.ModelSource.Open(model);
        var tok = source?.Tokenizer ?? Tokenization.LlamaTokenizer.FromGguf(model);
        int[] ids = tok.Encode(text[0], tok.AddBos && !noBos, special);
        if (idsOnly) Console.WriteLine($"[{string.Join(", ", ids)}]");
        else foreach (int id in ids) Console.WriteLine($"{id,6} -> '{tok.TokenToPiece(id)}'");
        return 0;
    }

    private static bool IsGgufFile(string path) =>
        File.Exists(path) && !path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && !path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);
}
