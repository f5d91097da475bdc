using System.Diagnostics;
using Minerva.Native.Execution;
using Minerva.Native.Model;
using Minerva.Native.Tokenization;

namespace Minerva.Native;

/// <summary>
/// A loaded Llama-family model: the file (GGUF or safetensors, memory-mapped), its tokenizer and its weights on a backend.
/// Create one <see cref="InferenceSession"/> per conversation.
/// </summary>
/// <example>
/// <code>
/// using var model = LlamaModel.Load("models/tinyllama.Q4_K_M.gguf");
/// using var session = model.CreateSession();
/// await foreach (var text in session.GenerateAsync("Once upon a time", new GenerationOptions { MaxTokens = 64 }))
///     Console.Write(text);
/// </code>
/// </example>
public sealed class LlamaModel : IDisposable
{
    private readonly ModelSource _source;
    private readonly BackendModel _weights;
    private readonly ModelOptions _options;

    private LlamaModel(ModelSource source, BackendModel weights, ModelOptions options, TimeSpan loadTime)
    {
        _source = source;
        _weights = weights;
        _options = options;
        LoadTime = loadTime;
    }

    /// <summary>Loads a .gguf file or a safetensors file/folder; the format is detected from the path.</summary>
    public static LlamaModel Load(string path, ModelOptions? options = null)
    {
        options ??= new ModelOptions();
        var clock = Stopwatch.StartNew();
        var source = ModelSource.Open(path);
        IBackend? backend = null;
        try
        {
            backend = BackendFactory.Create(options.Device, options.Threads);
            var weights = new BackendModel(backend, source.Config, source.Weights);
            return new LlamaModel(source, weights, options, clock.Elapsed);
        }
        catch
        {
            backend?.Dispose();
            source.Dispose();
            throw;
        }
    }

    public LlamaConfig Config => _source.Config;
    public LlamaTokenizer Tokenizer => _source.Tokenizer;
    /// <summary>"gguf" or "safetensors".</summary>
    public string Format => _source.Format;
    public string Path => _source.Path;
    /// <summary>"cpu" or "cuda".</summary>
    public string BackendName => _weights.Backend.Name;
    public string DeviceName => _weights.Backend.DeviceName;
    public TimeSpan LoadTime { get; }
    /// <summary>GPU memory in use on the model's device (total − free, so other processes count too); null on the CPU.</summary>
    public long? DeviceMemoryInUse => _weights.Backend.DeviceMemoryInUse;

    /// <summary>Bytes of the model file(s).</summary>
    public long FileBytes => _source.FileBytes;
    /// <summary>Bytes of weights one token reads (every tensor once).</summary>
    public long WeightBytes => _source.Weights.BytesPerToken;

    /// <summary>A new conversation with its own KV cache (<see cref="ModelOptions.ContextLength"/> tokens, or the model's up to 4096).</summary>
    public InferenceSession CreateSession()
    {
        int context = _options.ContextLength > 0 ? _options.ContextLength : Math.Min(Config.ContextLength, ModelOptions.DefaultContextLength);
        return new InferenceSession(this, new LlamaExecutor(_weights, 1, context, _options.BatchSize));
    }

    public void Dispose()
    {
        _weights.Dispose();
        _weights.Backend.Dispose();
        _source.Dispose();
    }
}
