// llama.cpp through LLamaSharp's low-level API: a prompt is one llama_decode batch (logits for its last token only),
// then one-token batches; greedy = argmax over the last token's logits, read back on the host.
using System.Text.RegularExpressions;
using LLama;
using LLama.Common;
using LLama.Native;
using Minerva.Native.Cli.Bench;

namespace Minerva.Native.PeerBench;

/// <summary>The peer engine behind <see cref="IBenchEngine"/>.</summary>
public sealed class LlamaCppEngine : IBenchEngine
{
    public string Name => "llama.cpp";

    /// <summary>The LLamaSharp package version (its assembly is stamped 0.0.0, the deps file knows the package).</summary>
    public string Version { get; } = "LLamaSharp " + PackageVersion();

    private static string PackageVersion()
    {
        string deps = Path.Combine(AppContext.BaseDirectory, Path.GetFileNameWithoutExtension(Environment.ProcessPath ?? "") + ".deps.json");
        if (!File.Exists(deps)) deps = Directory.EnumerateFiles(AppContext.BaseDirectory, "*.deps.json").FirstOrDefault() ?? "";
        var match = deps.Length > 0 ? Regex.Match(File.ReadAllText(deps), "\"LLamaSharp/([0-9][^\"]*)\"") : Match.Empty;
        return match.Success ? match.Groups[1].Value : typeof(LLamaWeights).Assembly.GetName().Version?.ToString(3) ?? "";
    }

    /// <summary>Keeps llama.cpp's load/graph logging off the console except errors; call before the first native call.</summary>
    public static void QuietNativeLog() =>
        NativeLibraryConfig.All.WithLogCallback((level, message) => { if (level == LLamaLogLevel.Error) Console.Error.Write(message); });

    /// <summary>0: llama.cpp picks its own CPU variant; the file records the widest vector the hardware accelerates.</summary>
    public int SimdWidthBits => 0;

    public (string Name, string Driver)? Gpu => null;

    public IReadOnlyList<string> AvailableDevices() => NativeApi.llama_supports_gpu_offload() ? ["cpu", "cuda"] : ["cpu"];

    public void WriteSyntheticModel(string preset, string format, string type, string path, IProgress<double>? progress) =>
        throw new NotSupportedException("the peer tool benchmarks existing GGUF files only (run `minerva-native bench` first to write them)");

    public BenchModel Load(string path, string device, int threads, int contextLength)
    {
        if (BenchTarget.FormatOf(path) != "gguf") throw new NotSupportedException($"llama.cpp reads GGUF only: {path}");
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)contextLength,
            BatchSize = (uint)contextLength,   // the whole prompt in one batch ...
            UBatchSize = (uint)contextLength,  // ... and one micro-batch
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = device == "cuda" ? 999 : 0,
        };
        return new Model(LLamaWeights.LoadFromFile(parameters), parameters, device);
    }

    private sealed class Model(LLamaWeights weights, ModelParams parameters, string device) : BenchModel
    {
        public override int VocabSize => weights.Vocab.Count;
        public override int ContextLength => Math.Min((int)parameters.ContextSize!.Value, weights.ContextSize);
        public override string Format => "gguf";
        public override string QuantType =>
            weights.Metadata.TryGetValue("general.file_type", out string? v) && int.TryParse(v, out int ftype) ? QuantName((LLamaFtype)ftype) : "";
        public override string DeviceName => device == "cuda" ? "llama.cpp GPU offload" : BenchMachine.CpuModelName();
        public override BenchSession CreateSession() => new Session(weights.CreateContext(parameters), weights.Vocab.Count);
        public override void Dispose() => weights.Dispose();
    }

    private sealed class Session(LLamaContext context, int vocab) : BenchSession
    {
        private readonly LLamaBatch _batch = new();
        private int _position;

        public override int EvaluateGreedy(ReadOnlySpan<int> tokens)
        {
            _batch.Clear();
            for (int i = 0; i < tokens.Length; i++)
                _batch.Add(tokens[i], _position + i, LLamaSeqId.Zero, logits: i == tokens.Length - 1);
            var result = context.NativeHandle.Decode(_batch);
            if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed: {result}");
            _position += tokens.Length;
            var logits = context.NativeHandle.GetLogitsIth(_batch.TokenCount - 1)[..vocab]; // [vocab]
            int best = 0;
            for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
            return best;
        }

        public override void Dispose() => context.Dispose();
    }

    /// <summary>LLAMA_FTYPE_MOSTLY_Q4_K_M → Q4_K_M, ALL_F32 → F32.</summary>
    public static string QuantName(LLamaFtype ftype)
    {
        string name = ftype.ToString();
        foreach (string prefix in (ReadOnlySpan<string>)["LLAMA_FTYPE_MOSTLY_", "MOSTLY_", "ALL_"])
            if (name.StartsWith(prefix, StringComparison.Ordinal)) return name[prefix.Length..];
        return name;
    }
}
