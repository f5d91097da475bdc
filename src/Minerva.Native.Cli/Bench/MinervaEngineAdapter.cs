// Bridges the bench to the public engine API (src/Minerva.Native/Api.Draft.md): LlamaModel.Load → CreateSession → EvaluateGreedy.
// Compiled only with MINERVA_API defined, until the API lands.
#if MINERVA_API
using System.Runtime.InteropServices;
using Minerva.Native.Model;

namespace Minerva.Native.Cli.Bench;

/// <summary>The real engine behind <see cref="IBenchEngine"/>.</summary>
public sealed class MinervaEngineAdapter : IBenchEngine
{
    public string Name => "minerva-native";

    public string Version => typeof(LlamaModel).Assembly.GetName().Version?.ToString(3) ?? "";

    // TODO(lead): the SIMD tier the CPU kernels picked; 0 makes the bench report the widest accelerated Vector width.
    public int SimdWidthBits => 0;

    // TODO(lead): CUDA device name and driver version (cuDeviceGetName, cuDriverGetVersion) once the CUDA backend exposes them.
    public (string Name, string Driver)? Gpu => null;

    public IReadOnlyList<string> AvailableDevices() => CudaDriverPresent() ? ["cpu", "cuda"] : ["cpu"];

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

    private static bool CudaDriverPresent()
    {
        if (!NativeLibrary.TryLoad(OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1", out nint handle)) return false;
        NativeLibrary.Free(handle);
        return true;
    }

    private sealed class Model(LlamaModel model, int contextLength) : BenchModel
    {
        public override int VocabSize => model.Config.VocabSize;
        public override int ContextLength => Math.Min(contextLength, model.Config.ContextLength);
        public override string Format => model.Format;
        public override string DeviceName => model.DeviceName;
        // TODO(lead): peak device memory (e.g. the CUDA allocator's high-water mark) for the PeakGpuMiB column.
        public override long? PeakGpuBytes => null;
        public override BenchSession CreateSession() => new Session(model.CreateSession());
        public override void Dispose() => model.Dispose();
    }

    private sealed class Session(InferenceSession session) : BenchSession
    {
        public override int EvaluateGreedy(ReadOnlySpan<int> tokens) => session.EvaluateGreedy(tokens);
        public override void Dispose() => session.Dispose();
    }
}
#endif
