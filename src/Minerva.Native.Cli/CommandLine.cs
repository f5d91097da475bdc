using Minerva.Native.Cli.Bench;
using Minerva.Native.Formats;
using Minerva.Native.Cli.Commands;

namespace Minerva.Native.Cli;

/// <summary>Dispatches `minerva-native COMMAND ...` and turns every failure into one line and an exit code.</summary>
public static class CommandLine
{
    private static readonly (string Name, string Summary, Func<Args, int> Run)[] Commands =
    [
        ("run", "generate text from a prompt (streams, then prints speed)", RunCommand.Run),
        ("serve", "an OpenAI-compatible HTTP server (chat/completions, completions, models, health, metrics)", ServeCommand.Run),
        ("info", "describe a model file: format, hyperparameters, tokenizer, tensor types", InfoCommand.Run),
        ("tokenize", "show the tokens of a text", TokenizeCommand.Run),
        ("perplexity", "perplexity of a text file, computed as llama.cpp's perplexity tool does", PerplexityCommand.Run),
        ("quantize", "convert a GGUF or safetensors model to a quantized GGUF", QuantizeCommand.Run),
        ("make-model", "write a deterministic random-weight model (tiny, TinyLlama, Llama 3.2, SmolLM2 or Qwen2.5 shape)", MakeModelCommand.Run),
        ("bench", "time load, first token, prompt and generation speed (vs llama.cpp with --compare)", BenchCommand.Run),
    ];

    public static int Run(string[] argv)
    {
        if (argv.Length == 0 || argv[0] is "-h" or "--help" or "help")
        {
            PrintUsage(Console.Out);
            return argv.Length == 0 ? 1 : 0;
        }
        if (argv[0] is "--version")
        {
            Console.WriteLine($"minerva-native {typeof(CommandLine).Assembly.GetName().Version}");
            return 0;
        }
        var command = Array.Find(Commands, c => c.Name == argv[0]);
        if (command.Name is null)
        {
            Console.Error.WriteLine($"minerva-native: unknown command '{argv[0]}' (try --help)");
            return 2;
        }
        try
        {
            return command.Run(new Args(argv.AsSpan(1).ToArray()));
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"minerva-native {command.Name}: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"minerva-native {command.Name}: cancelled");
            return 130;
        }
        catch (Exception e) when (e is ModelFormatException or IOException or InvalidDataException or NotSupportedException
                                       or UnauthorizedAccessException or ArgumentException or InvalidOperationException
                                       or OutOfMemoryException)
        {
            Console.Error.WriteLine($"minerva-native {command.Name}: error: {e.Message}");
            return 1;
        }
    }

    private static void PrintUsage(TextWriter w)
    {
        w.WriteLine("usage: minerva-native COMMAND [options]");
        w.WriteLine();
        foreach (var c in Commands) w.WriteLine($"  {c.Name,-12} {c.Summary}");
        w.WriteLine();
        w.WriteLine("`minerva-native COMMAND --help` shows a command's options.");
    }
}

/// <summary>A bad command line: printed as one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Minimal option parser: `--name value`, `-n value`, `--flag`, and positionals.</summary>
public sealed class Args
{
    private readonly List<string> _rest;

    public Args(string[] argv) => _rest = [.. argv];

    public bool Help => Flag("--help", "-h");

    public bool Flag(params string[] names)
    {
        int i = _rest.FindIndex(a => names.Contains(a));
        if (i < 0) return false;
        _rest.RemoveAt(i);
        return true;
    }

    public string? Option(params string[] names)
    {
        int i = _rest.FindIndex(a => names.Contains(a));
        if (i < 0) return null;
        if (i + 1 >= _rest.Count) throw new UsageException($"{_rest[i]} needs a value");
        string value = _rest[i + 1];
        _rest.RemoveRange(i, 2);
        return value;
    }

    public List<string> Options(params string[] names)
    {
        var all = new List<string>();
        while (Option(names) is { } v) all.Add(v);
        return all;
    }

    public int Int(int fallback, params string[] names) => Option(names) is { } v
        ? int.TryParse(v, out int n) ? n : throw new UsageException($"{names[0]} expects an integer, got '{v}'")
        : fallback;

    public float Float(float fallback, params string[] names) => Option(names) is { } v
        ? float.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out float f) ? f : throw new UsageException($"{names[0]} expects a number, got '{v}'")
        : fallback;

    /// <summary>The remaining arguments, after every option was taken; an unknown option is an error.</summary>
    public List<string> Positionals()
    {
        var unknown = _rest.FirstOrDefault(a => a.StartsWith('-') && a.Length > 1);
        if (unknown is not null) throw new UsageException($"unknown option '{unknown}'");
        return _rest;
    }
}
