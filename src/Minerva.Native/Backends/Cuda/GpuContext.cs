// The stream every op is issued on, kernel launches (direct, captured into a graph, or only fingerprinted), cuBLAS.
using Minerva.Native.Backends.Cuda.Interop;

namespace Minerva.Native.Backends.Cuda;

/// <summary>What an issued op does: run now (or be captured, when the stream is capturing), or only add to the fingerprint.</summary>
internal enum IssueMode { Direct, Capture, Fingerprint }

/// <summary>Grid or block extent.</summary>
internal readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1);

/// <summary>Kernel argument encodings: each argument travels as the low bytes of a 64-bit slot.</summary>
internal static class Arg
{
    public static ulong I(int v) => unchecked((uint)v);
    public static ulong L(long v) => unchecked((ulong)v);
    public static ulong F(float v) => BitConverter.SingleToUInt32Bits(v);
}

/// <summary>
/// Issues work on one stream. In <see cref="IssueMode.Fingerprint"/> nothing runs: every launch, copy and GEMM is folded
/// into <see cref="Fingerprint"/> instead, so that a step can be compared with the step a graph was captured from.
/// </summary>
internal sealed unsafe class GpuContext : IDisposable
{
    public GpuContext(CudaDevice device, PtxSource kernels)
    {
        Device = device;
        device.MakeCurrent();
        Stream = new CudaStream();
        Ptx = new PtxModule(kernels, device.ComputeMajor);
        var blas = CuBlas.TryLoad(out string? failure) ?? throw new InvalidOperationException(failure);
        Blas = new CublasHandle(blas, Stream, CublasMath.Default);
    }

    public CudaDevice Device { get; }
    public CudaStream Stream { get; }
    public PtxModule Ptx { get; }
    public CublasHandle Blas { get; }
    public IssueMode Mode { get; set; } = IssueMode.Direct;
    /// <summary>Per-kernel event timing (MINERVA_CUDA_PROFILE=1; graphs are then off so launches are eager).</summary>
    public KernelProfiler? Profiler { get; } = KernelProfiler.Enabled ? new KernelProfiler() : null;
    public ulong Fingerprint { get; private set; }
    /// <summary>Operations issued (or fingerprinted) since the last <see cref="ResetFingerprint"/>.</summary>
    public int IssuedCount { get; private set; }

    public void ResetFingerprint()
    {
        Fingerprint = 14695981039346656037UL;
        IssuedCount = 0;
    }

    private void Mix(ulong v)
    {
        // FNV-1a over 64-bit words with a final avalanche per word: order-sensitive.
        ulong h = (Fingerprint ^ v) * 1099511628211UL;
        Fingerprint = h ^ (h >> 29);
    }

    public void Launch(KernelRef kernel, Dim3 grid, Dim3 block, uint sharedBytes, params ReadOnlySpan<ulong> args)
    {
        if (grid.X == 0 || grid.Y == 0 || grid.Z == 0) return; // nothing to do (e.g. zero rows)
        IntPtr f = Ptx.Function(kernel);
        IssuedCount++;
        Mix((ulong)f); Mix(grid.X | (ulong)grid.Y << 32); Mix(grid.Z | (ulong)block.X << 32); Mix(block.Y | (ulong)block.Z << 32); Mix(sharedBytes);
        foreach (var a in args) Mix(a);
        if (Mode == IssueMode.Fingerprint) return;
        ulong* values = stackalloc ulong[args.Length];
        void** pointers = stackalloc void*[args.Length];
        for (int i = 0; i < args.Length; i++) { values[i] = args[i]; pointers[i] = &values[i]; }
        Profiler?.Begin(kernel.Function, Stream);
        int rc = CuDriver.cuLaunchKernel(f, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, sharedBytes, Stream.Handle, pointers, null);
        if (rc != CuDriver.Success) throw CuDriver.Error(rc, $"cuLaunchKernel({kernel}, grid {grid}, block {block}, smem {sharedBytes})");
        Profiler?.End(Stream);
    }

    public void CopyDeviceToDevice(ulong dst, ulong src, long bytes)
    {
        if (bytes <= 0) return;
        IssuedCount++;
        Mix(0xC0); Mix(dst); Mix(src); Mix((ulong)bytes);
        if (Mode == IssueMode.Fingerprint) return;
        CuDriver.Check(CuDriver.cuMemcpyDtoDAsync_v2(dst, src, (nuint)bytes, Stream.Handle), "cuMemcpyDtoDAsync_v2");
    }

    /// <summary>Column-major GEMM through cuBLAS on the stream (see <see cref="CuBlas.GemmEx"/>).</summary>
    public void Gemm(CublasOperation ta, CublasOperation tb, int m, int n, int k,
        ulong a, CudaDataType aType, int lda, ulong b, CudaDataType bType, int ldb, ulong c, CudaDataType cType, int ldc)
    {
        IssuedCount++;
        Mix(0x6E); Mix((ulong)ta | (ulong)tb << 8); Mix((uint)m | (ulong)(uint)n << 32); Mix((uint)k); Mix(a); Mix((ulong)aType); Mix(b); Mix((ulong)bType); Mix(c); Mix((ulong)cType);
        if (Mode == IssueMode.Fingerprint) return;
        Profiler?.Begin($"cublasGemmEx({aType})", Stream);
        Blas.Api.GemmEx(Blas.Handle, ta, tb, m, n, k, 1f, a, aType, lda, b, bType, ldb, 0f, c, cType, ldc);
        Profiler?.End(Stream);
    }

    public void Dispose()
    {
        if (Profiler is not null)
        {
            Console.Error.WriteLine(Profiler.Report());
            Profiler.Dispose();
        }
        Blas.Dispose();
        Ptx.Dispose();
        Stream.Dispose();
    }
}
