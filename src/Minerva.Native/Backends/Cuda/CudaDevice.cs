// The CUDA device the backend runs on: probe (never throws), identity for `info`, and its primary context.
using System.Runtime.InteropServices;
using Minerva.Native.Backends.Cuda.Interop;

namespace Minerva.Native.Backends.Cuda;

/// <summary>Whether the CUDA backend can run here, and if not, why.</summary>
internal readonly record struct CudaAvailability(bool IsAvailable, string Reason)
{
    public override string ToString() => IsAvailable ? $"available: {Reason}" : $"not available: {Reason}";
}

/// <summary>One GPU with its retained primary context.</summary>
internal sealed unsafe class CudaDevice : IDisposable
{
    private CudaDevice(int ordinal, IntPtr context)
    {
        Ordinal = ordinal;
        Context = context;
        byte* name = stackalloc byte[256];
        CuDriver.Check(CuDriver.cuDeviceGetName(name, 256, ordinal), "cuDeviceGetName");
        Name = Marshal.PtrToStringUTF8((IntPtr)name) ?? "?";
        ComputeMajor = Attribute(CuDeviceAttribute.ComputeCapabilityMajor);
        ComputeMinor = Attribute(CuDeviceAttribute.ComputeCapabilityMinor);
        MultiprocessorCount = Attribute(CuDeviceAttribute.MultiprocessorCount);
        nuint bytes;
        CuDriver.Check(CuDriver.cuDeviceTotalMem_v2(&bytes, ordinal), "cuDeviceTotalMem_v2");
        TotalMemory = (long)bytes;
        int version;
        CuDriver.Check(CuDriver.cuDriverGetVersion(&version), "cuDriverGetVersion");
        DriverVersion = version;
    }

    public int Ordinal { get; }
    public string Name { get; }
    public int ComputeMajor { get; }
    public int ComputeMinor { get; }
    public int MultiprocessorCount { get; }
    public long TotalMemory { get; }
    /// <summary>CUDA version the driver supports, as 1000 * major + 10 * minor.</summary>
    public int DriverVersion { get; }
    internal IntPtr Context { get; private set; }

    public string ComputeCapability => $"{ComputeMajor}.{ComputeMinor}";

    public string Description =>
        $"{Name} (sm_{ComputeMajor}{ComputeMinor}, {MultiprocessorCount} SMs, {TotalMemory / (1024.0 * 1024 * 1024):F1} GiB, driver CUDA {DriverVersion / 1000}.{DriverVersion % 1000 / 10})";

    /// <summary>Free and total device memory in bytes.</summary>
    public (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        nuint free, total;
        CuDriver.Check(CuDriver.cuMemGetInfo_v2(&free, &total), "cuMemGetInfo_v2");
        return ((long)free, (long)total);
    }

    [ThreadStatic] private static IntPtr _currentOnThread;

    /// <summary>Makes the primary context current on the calling thread (cached per thread).</summary>
    public void MakeCurrent()
    {
        if (_currentOnThread == Context) return;
        CuDriver.Check(CuDriver.cuCtxSetCurrent(Context), "cuCtxSetCurrent");
        _currentOnThread = Context;
    }

    /// <summary>Opens device <paramref name="ordinal"/> (initialising the driver); throws <see cref="CudaException"/> on failure.</summary>
    public static CudaDevice Open(int ordinal = 0, PtxSource? kernels = null)
    {
        var availability = Probe(kernels);
        if (!availability.IsAvailable) throw new InvalidOperationException($"CUDA {availability}");
        int device;
        CuDriver.Check(CuDriver.cuDeviceGet(&device, ordinal), "cuDeviceGet");
        IntPtr context;
        CuDriver.Check(CuDriver.cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain");
        var d = new CudaDevice(device, context);
        d.MakeCurrent();
        return d;
    }

    private int Attribute(CuDeviceAttribute attribute)
    {
        int v;
        CuDriver.Check(CuDriver.cuDeviceGetAttribute(&v, attribute, Ordinal), $"cuDeviceGetAttribute({attribute})");
        return v;
    }

    /// <summary>
    /// Checks driver library, cuInit, a device, the PTX kernels and cuBLAS, in that order. Never throws: any failure
    /// (including a missing library or entry point) is returned as the reason.
    /// </summary>
    public static CudaAvailability Probe(PtxSource? kernels = null)
    {
        try
        {
            if (!NativeLibraries.TryLoadDriver(out _, out string tried))
                return new(false, $"no CUDA driver library ({tried} not found)");
            int rc = CuDriver.cuInit(0);
            if (rc != CuDriver.Success) return new(false, $"cuInit failed: {CuDriver.ErrorName(rc)}: {CuDriver.ErrorString(rc)}");
            int count;
            rc = CuDriver.cuDeviceGetCount(&count);
            if (rc != CuDriver.Success) return new(false, $"cuDeviceGetCount failed: {CuDriver.ErrorName(rc)}");
            if (count == 0) return new(false, "no CUDA device");
            if ((kernels ?? PtxSource.Default).Unavailable() is { } noKernels) return new(false, noKernels);
            if (CuBlas.TryLoad(out string? cublasFailure) is null) return new(false, cublasFailure ?? "cuBLAS not found");
            byte* name = stackalloc byte[256];
            rc = CuDriver.cuDeviceGetName(name, 256, 0);
            string deviceName = rc == CuDriver.Success ? Marshal.PtrToStringUTF8((IntPtr)name) ?? "?" : "?";
            return new(true, $"{count} device(s), device 0: {deviceName}");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return new(false, $"CUDA driver unusable: {e.GetType().Name}: {e.Message}");
        }
    }

    public void Dispose()
    {
        if (Context == IntPtr.Zero) return;
        CuDriver.cuDevicePrimaryCtxRelease_v2(Ordinal);
        Context = IntPtr.Zero;
        _currentOnThread = IntPtr.Zero;
    }

    public override string ToString() => Description;
}
