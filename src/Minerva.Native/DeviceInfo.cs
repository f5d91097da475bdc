// What this machine offers the engine, for tools that report it (bench, info): the CPU kernels' SIMD width and the
// CUDA GPU that DeviceKind.Auto would pick, without loading a model.
using Minerva.Native.Backends.Cuda;
using Minerva.Native.Simd;

namespace Minerva.Native;

/// <summary>The devices the engine can run on here.</summary>
public static class DeviceInfo
{
    /// <summary>The vector width the CPU kernels run at: 512, 256, or 32 for the scalar code (MINERVA_SIMD caps it).</summary>
    public static int CpuSimdWidthBits => SimdSupport.Tier switch { SimdTier.Avx512 => 512, SimdTier.Avx2 => 256, _ => 32 };

    /// <summary>Whether a usable CUDA GPU is present, and which (or why not), in one line.</summary>
    public static (bool Available, string Description) Cuda
    {
        get
        {
            var probe = CudaDevice.Probe();
            return (probe.IsAvailable, probe.Reason);
        }
    }

    /// <summary>The GPU's name and driver ("CUDA 13.0"), or null without a usable GPU.</summary>
    public static (string Name, string Driver)? Gpu => LazyGpu.Value;

    private static readonly Lazy<(string Name, string Driver)?> LazyGpu = new(() =>
    {
        if (!CudaDevice.Probe().IsAvailable) return null;
        using var device = CudaDevice.Open();
        return (device.Name, $"CUDA {device.DriverVersion / 1000}.{device.DriverVersion % 1000 / 10}");
    });
}
