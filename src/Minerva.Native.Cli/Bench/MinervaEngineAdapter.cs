// Bridges the bench to the public engine API: LlamaModel.Load → CreateSession → EvaluateGreedy.
using Minerva.Native.Model;

namespace Minerva.Native.Cli.Bench;

/// <summary>The real engine behind <see cref="IBenchEngine"/>.</summary>
public sealed class MinervaEngineAdapter : IBenchEngine
{
    public string Name => "minerva-native";

    public string Version => typeof(LlamaModel).Assembly.GetName().Version?.ToString(3) ?? "";

    /// <summary>The vector width the CPU kernels run at (the one tier switch, MINERVA_SIMD).</summary>
    public int SimdWidthBits => DeviceInfo.CpuSimdWidthBits;

    public (string Name, string Driver)? Gpu => DeviceInfo.Gpu;

    public IReadOnlyList<string> AvailableDevices() => DeviceInfo.Gpu is null ? ["cpu"] : ["cpu", "cuda"];

    public void WriteSyntheticModel(string preset, string format, string type, string path, IProgress<double>? progress) =>
        SyntheticModels.Ensure(preset, format, type, path, progress);

    public BenchModel Load(string path, string device, int threads, int contextLength)
    {
        var options = new ModelOptions
        {
            Device = device == "cuda" ? DeviceKind.Cuda : DeviceKind.Cpu,
            Threads = threads,
            ContextLength = contextLength,
        };
        return new Model(LlamaModel.Load(path, options), contextLength);
    }

    private sealed class Model(LlamaModel model, int contextLength) : BenchModel
    {
        public override int VocabSize => model.Config.VocabSize;
        public override int ContextLength => Math.Min(contextLength, model.Config.ContextLength);
        public override string Format => model.Format;
        public override string DeviceName => model.DeviceName;
        public override long? PeakGpuBytes => model.DeviceMemoryInUse;
        public override BenchSession CreateSession() => new Session(model.CreateSession());
        public override void Dispose() => model.Dispose();
    }

    private sealed class Session(InferenceSession session) : BenchSession
    {
        public override int EvaluateGreedy(ReadOnlySpan<int> tokens) => session.EvaluateGreedy(tokens);
        public override void Dispose() => session.Dispose();
    }
}
