// `minerva-native tokenize`: text to token ids and pieces with a model's tokenizer (or a vocabulary-only GGUF's).
using System.CommandLine;
using Minerva.Native.Cli.Parsing;
using Minerva.Native.Model;
namespace Minerva.Native.Cli.Commands;

/// <summary>`minerva-native tokenize -m MODEL "text" [--ids]`; MODEL may be a vocabulary-only GGUF.</summary>
public static class TokenizeCommand
{
    public static Command Create()
    {
        var model = Common.Model();
        var ids = new Option<bool>("--ids") { Description = "print only the ids, as a list" };
        var noBos = new Option<bool>("--no-bos") { Description = "no beginning-of-sequence token, even where the vocabulary adds one" };
        var special = new Option<bool>("--parse-special") { Description = "control-token text (<s>, <|im_end|>) becomes control tokens" };
        var text = new Argument<string>("TEXT") { Description = "the text (after -- when it starts with '-')" };
        var command = new CliCommand("tokenize", "show the tokens of a text: one line per token, id and piece") { model, ids, noBos, special, text };
        command.SetAction(r => Run(r.GetValue(model)!, r.GetValue(text)!, r.GetValue(ids), r.GetValue(noBos), r.GetValue(special)));
        return command;
    }

    private static int Run(string model, string text, bool idsOnly, bool noBos, bool special)
    {
        // A GGUF's tokenizer needs no weights, so a vocabulary-only file (llama.cpp's ggml-vocab-*.gguf) is enough.
        using var source = IsGgufFile(model) ? null : Model.ModelSource.Open(model);
        var tok = source?.Tokenizer ?? Tokenization.LlamaTokenizer.FromGguf(model);
        int[] ids = tok.Encode(text, tok.AddBos && !noBos, special);
        if (idsOnly) Console.WriteLine($"[{string.Join(", ", ids)}]");
        else foreach (int id in ids) Console.WriteLine($"{id,6} -> '{tok.TokenToPiece(id)}'");
        return 0;
    }

    private static bool IsGgufFile(string path) =>
        File.Exists(path) && !path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && !path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);
}
