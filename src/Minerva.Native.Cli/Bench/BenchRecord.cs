// One benchmark run as one CSV/JSON row; the column set is shared verbatim with tools/Minerva.Native.PeerBench (linked source).
using CsvHelper.Configuration.Attributes;

namespace Minerva.Native.Cli.Bench;

/// <summary>
/// One counted run of one scenario on one model and device. Property order is the CSV column order;
/// both `minerva-native bench` and the llama.cpp peer tool write exactly these columns. Columns added later come last
/// and are optional when reading, so earlier result files still load.
/// </summary>
public sealed class BenchRecord
{
    /// <summary>UTC start of the run, ISO 8601.</summary>
    public string Timestamp { get; set; } = "";
    /// <summary>"minerva-native" or "llama.cpp".</summary>
    public string Engine { get; set; } = "";
    public string EngineVersion { get; set; } = "";
    public string GitCommit { get; set; } = "";
    public string Scenario { get; set; } = "";
    /// <summary>"gguf" or "safetensors".</summary>
    public string Format { get; set; } = "";
    /// <summary>Weight type, e.g. Q4_K_M, Q8_0, F16, BF16 (empty when the engine cannot tell).</summary>
    public string QuantType { get; set; } = "";
    /// <summary>File (or folder) name of the model, without its directory: the key --compare matches on.</summary>
    public string ModelFile { get; set; } = "";
    /// <summary>"cpu" or "cuda".</summary>
    public string Device { get; set; } = "";
    public string DeviceName { get; set; } = "";
    public int Threads { get; set; }
    /// <summary>1-based index among the counted runs (warm-up runs are never written).</summary>
    public int Run { get; set; }
    public int PromptTokens { get; set; }
    public int GenTokens { get; set; }
    public double LoadMs { get; set; }
    /// <summary>Prompt evaluation up to and including the first generated token.</summary>
    public double TtftMs { get; set; }
    public double PromptTokensPerSec { get; set; }
    /// <summary>1 / median inter-token time of the decode steps.</summary>
    public double GenTokensPerSec { get; set; }
    public double MedianInterTokenMs { get; set; }
    /// <summary>Peak resident set of the process during the run (VmHWM, reset before the run where the OS allows).</summary>
    public double PeakHostMiB { get; set; }
    /// <summary>Peak device memory reported by the engine; empty when unknown.</summary>
    public double? PeakGpuMiB { get; set; }
    public string CpuModel { get; set; } = "";
    public int Cores { get; set; }
    public int SimdWidthBits { get; set; }
    public string GpuName { get; set; } = "";
    public string GpuDriver { get; set; } = "";
    public string Os { get; set; } = "";
    public string Runtime { get; set; } = "";

    // Added with the concurrency scenario. There TtftMs, GenTokensPerSec and MedianInterTokenMs are medians over the
    // streams, and PromptTokensPerSec is every stream's prompt tokens / the time until the last first token.

    /// <summary>Sessions generating at once on the one loaded model: 1 in the single-session scenarios.</summary>
    [Optional, Default(1)]
    public int Concurrency { get; set; } = 1;
    /// <summary>Every stream's generated tokens / wall time from the first prompt submitted to the last token; empty outside the concurrency scenario.</summary>
    [Optional]
    public double? AggregateGenTokensPerSec { get; set; }
    /// <summary>Rows (tokens, prompt rows included) per forward step during the run, from the engine's step counters; empty when unknown.</summary>
    [Optional]
    public double? RowsPerStep { get; set; }

    // Added with the memory read-bandwidth probe: the decode ceiling of batch-1 generation, which reads every weight once
    // per token. Bandwidth, ceiling and percentage are filled on CPU cells only.

    /// <summary>Bytes of the weights one generated token reads (every layer tensor and the output matrix; the embedding table only when tied as the output); empty when unknown.</summary>
    [Optional]
    public long? WeightBytesPerToken { get; set; }
    /// <summary>The bench's memory read-bandwidth probe, GB/s (10^9 bytes/s) with the run's thread count.</summary>
    [Optional]
    public double? ReadBandwidthGBps { get; set; }
    /// <summary>ReadBandwidthGBps / WeightBytesPerToken: the most tokens/s batch-1 generation can reach on this memory.</summary>
    [Optional]
    public double? GenCeilingTokensPerSec { get; set; }
    /// <summary>100 × GenTokensPerSec / GenCeilingTokensPerSec.</summary>
    [Optional]
    public double? GenPercentOfCeiling { get; set; }
}
