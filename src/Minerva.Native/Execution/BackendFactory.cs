using Minerva.Native.Backends.Cpu;
using Minerva.Native.Backends.Cuda;

namespace Minerva.Native.Execution;

/// <summary>Creates the backend for a device choice: auto prefers a usable CUDA GPU and falls back to the CPU.</summary>
public static class BackendFactory
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
