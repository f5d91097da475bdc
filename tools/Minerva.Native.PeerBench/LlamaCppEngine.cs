// llama.cpp through LLamaSharp's low-level API: a prompt is one llama_decode batch (logits for its last token only),
// then one-token batches; greedy = argmax over the last token's logits, read back on the host. Concurrent streams are
// conversations of LLamaSharp's BatchedExecutor (llama.cpp's batched decode, one sequence id each, a KV cell range per
// sequence): every Infer decodes one batch holding each waiting conversation's tokens.
using System.Diagnostics;
using System.Text.RegularExpressions;
using LLama;
using LLama.Batched;
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

    public BenchModel Load(string path, string device, int threads, int contextLength, int sequences = 1)
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
        if (sequences > 1)
        {
            // As ours: `sequences` KV ranges of contextLength tokens (not one unified cache they all attend over), and
            // steps of at most 512 rows (our ModelOptions.BatchSize), prompts of several streams together.
            parameters.ContextSize = (uint)(contextLength * sequences);
            parameters.SeqMax = (uint)sequences;
            parameters.KVUnified = false;
            parameters.BatchSize = parameters.UBatchSize = (uint)Math.Min(512, contextLength * sequences);
        }
        return new Model(LLamaWeights.LoadFromFile(parameters), parameters, device, contextLength);
    }

    private sealed class Model(LLamaWeights weights, ModelParams parameters, string device, int contextLength) : BenchModel
    {
        public override int VocabSize => weights.Vocab.Count;
        public override int ContextLength => Math.Min(contextLength, weights.ContextSize);
        public override string Format => "gguf";
        public override string QuantType =>
            weights.Metadata.TryGetValue("general.file_type", out string? v) && int.TryParse(v, out int ftype) ? QuantName((LLamaFtype)ftype) : "";
        public override string DeviceName => device == "cuda" ? "llama.cpp GPU offload" : BenchMachine.CpuModelName();
        public override BenchSession CreateSession() => new Session(weights.CreateContext(parameters), weights.Vocab.Count);

        /// <summary>
        /// One conversation per prompt on a BatchedExecutor, driven from this thread: Infer, then for each conversation
        /// whose logits are ready the arg-max, handed back as its next prompt token; a step is one Infer.
        /// </summary>
        public override ConcurrentRun GenerateConcurrently(IReadOnlyList<int[]> prompts, int genTokens)
        {
            int vocab = weights.Vocab.Count, n = prompts.Count;
            using var executor = new BatchedExecutor(weights, parameters);
            var conversations = prompts.Select(_ => executor.Create()).ToArray();
            try
            {
                var tokens = new List<int>[n];
                var first = new double[n];
                var last = new double[n];
                long steps = 0, rows = 0;
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < n; i++)
                {
                    tokens[i] = new List<int>(genTokens);
                    conversations[i].Prompt(prompts[i].Select(t => (LLamaToken)t).ToArray());
                }
                int active = n;
                while (active > 0)
                {
                    int queued = executor.BatchedTokenCount;
                    var result = executor.Infer().GetAwaiter().GetResult();
                    if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed: {result}");
                    steps++;
                    rows += queued - executor.BatchedTokenCount;   // Infer decodes the first queued batch only
                    for (int i = 0; i < n; i++)
                    {
                        var c = conversations[i];
                        if (tokens[i].Count == genTokens || !c.RequiresSampling) continue;
                        var logits = c.Sample()[..vocab]; // [vocab]
                        int best = 0;
                        for (int v = 1; v < logits.Length; v++) if (logits[v] > logits[best]) best = v;
                        last[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                        if (tokens[i].Count == 0) first[i] = last[i];
                        tokens[i].Add(best);
                        if (tokens[i].Count < genTokens) c.Prompt((LLamaToken)best);
                        else active--;
                    }
                }
                return new ConcurrentRun([.. Enumerable.Range(0, n).Select(i => new StreamRun([.. tokens[i]], first[i], last[i]))], steps, rows);
            }
            finally
            {
                foreach (var c in conversations) c.Dispose();
            }
        }

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
