// Part of the composition root (LlamaModel), the one place that names the concrete backends: auto prefers a usable CUDA GPU, else the CPU.
using Minerva.Native.Backends.Cpu;
using Minerva.Native.Backends.Cuda;
using Minerva.Native.Execution;

namespace Minerva.Native;

/// <summary>Creates the backend for a device choice (called by <see cref="LlamaModel"/>, the composition root).</summary>
internal static class BackendFactory
{
    public static IBackend Create(DeviceKind device, int threads)
    {
        switch (device)
        {
            case DeviceKind.Cpu:
                return new CpuBackend(threads);
            case DeviceKind.Cuda:
            {
                var probe = CudaDevice.Probe();
                if (!probe.IsAvailable) throw new InvalidOperationException($"--device cuda: CUDA is {probe}");
                return CudaBackend.Create();
            }
            default:
                return CudaDevice.Probe().IsAvailable ? CudaBackend.Create() : new CpuBackend(threads);
        }
    }
}
