// Opens a model file or folder (format detected) and exposes config, weights and tokenizer; owns the memory mappings.
using Minerva.Native.Formats;
using Minerva.Native.Tokenization;
using Minerva.Native.Formats.Gguf;

namespace Minerva.Native.Model;

/// <summary>A model as it lies on disk: hyperparameters, zero-copy weight views and the tokenizer.</summary>
public sealed class ModelSource : IDisposable
{
    private readonly IDisposable _owner;

    private ModelSource(string path, string format, LlamaConfig config, LlamaWeights weights, LlamaTokenizer tokenizer, long bytes, IDisposable owner)
    {
        Path = path;
        Format = format;
        Config = config;
        Weights = weights;
        Tokenizer = tokenizer;
        FileBytes = bytes;
        _owner = owner;
    }

    public string Path { get; }
    /// <summary>"gguf" or "safetensors".</summary>
    public string Format { get; }
    public LlamaConfig Config { get; }
    internal LlamaWeights Weights { get; }
    public LlamaTokenizer Tokenizer { get; }
    public long FileBytes { get; }

    public static ModelSource Open(string path)
    {
        if (Directory.Exists(path) || path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            return OpenSafeTensors(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file or folder");
        return OpenGguf(path);
    }

    private static ModelSource OpenGguf(string path)
    {
        var file = GgufFile.Open(path);
        try
        {
            var config = GgufModel.ReadConfig(file);
            var weights = GgufModel.ReadWeights(file, config);
            CheckAllUsed(path, file.Tensors.Select(t => t.Name), weights);
            var tokenizer = LlamaTokenizer.FromGguf(file);
            CheckTokenizer(path, config, tokenizer);
            return new ModelSource(path, "gguf", config, weights, tokenizer, file.FileSize, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static ModelSource OpenSafeTensors(string path)
    {
        var model = HfModel.Open(path);
        try
        {
            return new ModelSource(path, "safetensors", model.Config, model.Weights, model.Tokenizer, model.FileBytes, model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>A tensor the forward pass would not read means the file is not what the engine thinks it is: refuse it by name.</summary>
    internal static void CheckAllUsed(string path, IEnumerable<string> names, LlamaWeights weights)
    {
        var used = weights.All.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        foreach (string name in names)
            if (!used.Contains(name))
                throw new ModelFormatException(path, -1, $"tensor '{name}' is not used by the engine's {weights.Layers.Count}-layer model; refusing to ignore it");
    }

    internal static void CheckTokenizer(string path, LlamaConfig config, LlamaTokenizer tokenizer)
    {
        if (tokenizer.VocabSize != config.VocabSize)
            throw new ModelFormatException(path, -1, $"tokenizer has {tokenizer.VocabSize} tokens but the model's vocabulary is {config.VocabSize}");
    }

    public void Dispose() => _owner.Dispose();
}
