// A deterministic stand-in engine: "evaluating" n tokens spins a fixed amount of work per token and returns a hash of the history.
using Minerva.Native.Cli.Bench;

namespace Minerva.Native.Tests.Bench;

/// <summary>Records what the bench asked of it, so tests can check the work each run does.</summary>
public sealed class FakeBenchEngine : IBenchEngine
{
    public int VocabSize { get; init; } = 32000;
    public int ModelContext { get; init; } = 2048;
    public string[] Devices { get; init; } = ["cpu"];
    /// <summary>Loading on this device throws (to test failure reporting).</summary>
    public string? FailingDevice { get; init; }
    public int SpinPerToken { get; init; } = 2000;
    /// <summary>When set, every evaluation "predicts" this id (e.g. EOS, which the bench must ignore).</summary>
    public int? ForcedNext { get; init; }
    /// <summary>What its models report as weight bytes per token (null: unknown, as llama.cpp's).</summary>
    public long? WeightBytesPerToken { get; init; }
    /// <summary>Called on every load (tests use it to cancel mid-matrix).</summary>
    public Action? OnLoad { get; init; }

    public List<string> Written { get; } = [];
    public List<(string Path, string Device, int Threads, int Context)> Loads { get; } = [];
    /// <summary>Per load: the sequences the model was asked to hold at once.</summary>
    public List<int> LoadSequences { get; } = [];
    /// <summary>Per session: the token ids of every EvaluateGreedy call.</summary>
    public List<List<int[]>> Sessions { get; } = [];

    public string Name => "fake";
    public string Version => "0.0.1";
    public int SimdWidthBits => 256;
    public (string Name, string Driver)? Gpu => Devices.Contains("cuda") ? ("Fake GPU 9000", "999.1") : null;
    public IReadOnlyList<string> AvailableDevices() => Devices;

    public void WriteSyntheticModel(string preset, string format, string type, string path, IProgress<double>? progress)
    {
        Written.Add(path);
        for (int i = 0; i <= 4; i++) progress?.Report(i / 4.0);
        if (format == "gguf") File.WriteAllText(path, $"fake {preset} {type}");
        else
        {
            Directory.CreateDirectory(path);
            File.WriteAllText(Path.Combine(path, "model.safetensors"), $"fake {preset} {type}");
        }
    }

    public BenchModel Load(string path, string device, int threads, int contextLength, int sequences = 1)
    {
        if (device == FailingDevice) throw new InvalidOperationException($"fake load failure on {device}");
        Loads.Add((path, device, threads, contextLength));
        LoadSequences.Add(sequences);
        OnLoad?.Invoke();
        string format = BenchTarget.FormatOf(path);
        return new Model(this, format, device, Math.Min(contextLength, ModelContext));
    }

    private sealed class Model(FakeBenchEngine engine, string format, string device, int context) : BenchModel
    {
        public override int VocabSize => engine.VocabSize;
        public override int ContextLength => context;
        public override string Format => format;
        public override string DeviceName => device == "cuda" ? "Fake GPU 9000" : "Fake CPU";
        public override long? PeakGpuBytes => device == "cuda" ? 123L << 20 : null;
        public override long? WeightBytesPerToken => engine.WeightBytesPerToken;
        public override BenchSession CreateSession()
        {
            var calls = new List<int[]>();
            lock (engine.Sessions) engine.Sessions.Add(calls);
            return new Session(engine, calls, context);
        }
        public override void Dispose() { }
    }

    private sealed class Session(FakeBenchEngine engine, List<int[]> calls, int context) : BenchSession
    {
        private int _position;
        private ulong _hash = 1469598103934665603;

        public override int EvaluateGreedy(ReadOnlySpan<int> tokens)
        {
            calls.Add(tokens.ToArray());
            _position += tokens.Length;
            if (_position > context) throw new InvalidOperationException("KV cache overflow");
            foreach (int t in tokens)
            {
                if ((uint)t >= (uint)engine.VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), $"token {t} outside the vocab");
                _hash = (_hash ^ (uint)t) * 1099511628211;
                for (int i = 0; i < engine.SpinPerToken; i++) _hash = _hash * 6364136223846793005 + 1;
            }
            return engine.ForcedNext ?? (int)(_hash % (ulong)engine.VocabSize);
        }

        public override void Dispose() { }
    }
}
