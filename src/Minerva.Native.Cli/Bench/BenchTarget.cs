// A model file (or safetensors folder) in the bench matrix, with the format and weight type it is known to hold.
namespace Minerva.Native.Cli.Bench;

/// <summary>One model of the matrix. <see cref="QuantType"/> may be empty for a user's file (the engine then names it).</summary>
public sealed record BenchTarget(string Path, string Format, string QuantType)
{
    /// <summary>The name --compare matches on: the last path segment.</summary>
    public string ModelFile => System.IO.Path.GetFileName(Path.TrimEnd('/', '\\'));

    public string Label => QuantType.Length > 0 ? $"{FormatLabel(Format)} {QuantType}" : $"{FormatLabel(Format)} {ModelFile}";

    /// <summary>"gguf" for *.gguf, "safetensors" for *.safetensors or a folder.</summary>
    public static string FormatOf(string path) =>
        Directory.Exists(path) || path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? "safetensors"
        : path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? "gguf"
        : throw new ArgumentException($"'{path}' is neither a .gguf file nor a safetensors file or folder");

    public static string FormatLabel(string format) => format switch
    {
        "gguf" => "GGUF",
        "safetensors" => "SafeTensors",
        _ => format,
    };
}
