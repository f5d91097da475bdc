// cuBLAS bindings (cublas_api.h): loaded at run time from the first of libcublas.so.13/.12/.11 (or MINERVA_CUBLAS).
using System.Runtime.InteropServices;

namespace Minerva.Native.Backends.Cuda.Interop;

internal enum CublasOperation { N = 0, T = 1 }

/// <summary>cudaDataType (library_types.h).</summary>
internal enum CudaDataType { R32F = 0, R16F = 2, R16BF = 14 }

internal enum CublasComputeType { Compute32F = 68 }

internal enum CublasMath { Default = 0, Pedantic = 2 }

/// <summary>
/// The cuBLAS entry points as unmanaged function pointers (the soname carries the major version, so the library is
/// chosen at run time rather than by a fixed [LibraryImport] name).
/// </summary>
internal sealed unsafe class CuBlas
{
    internal const int Success = 0;
    internal const int GemmDefault = -1;

    private static readonly string[] Candidates = OperatingSystem.IsWindows()
        ? ["cublas64_13.dll", "cublas64_12.dll", "cublas64_11.dll"]
        : ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"];

    private static readonly object Gate = new();
    private static CuBlas? _instance;
    private static string? _failure;

    public string LibraryName { get; }

    private readonly delegate* unmanaged<IntPtr*, int> _create;
    private readonly delegate* unmanaged<IntPtr, int> _destroy;
    private readonly delegate* unmanaged<IntPtr, IntPtr, int> _setStream;
    private readonly delegate* unmanaged<IntPtr, CublasMath, int> _setMathMode;
    private readonly delegate* unmanaged<int, byte*> _statusString;
    private readonly delegate* unmanaged<IntPtr, CublasOperation, CublasOperation, int, int, int, void*, void*, CudaDataType, int,
        void*, CudaDataType, int, void*, void*, CudaDataType, int, CublasComputeType, int, int> _gemmEx;
    private readonly delegate* unmanaged<IntPtr, CublasOperation, CublasOperation, int, int, int, void*, void*, CudaDataType, int, long,
        void*, CudaDataType, int, long, void*, void*, CudaDataType, int, long, int, CublasComputeType, int, int> _gemmStridedBatchedEx;

    private CuBlas(string name, IntPtr lib)
    {
        LibraryName = name;
        _create = (delegate* unmanaged<IntPtr*, int>)NativeLibrary.GetExport(lib, "cublasCreate_v2");
        _destroy = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(lib, "cublasDestroy_v2");
        _setStream = (delegate* unmanaged<IntPtr, IntPtr, int>)NativeLibrary.GetExport(lib, "cublasSetStream_v2");
        _setMathMode = (delegate* unmanaged<IntPtr, CublasMath, int>)NativeLibrary.GetExport(lib, "cublasSetMathMode");
        _statusString = NativeLibrary.TryGetExport(lib, "cublasGetStatusString", out var s) ? (delegate* unmanaged<int, byte*>)s : null;
        _gemmEx = (delegate* unmanaged<IntPtr, CublasOperation, CublasOperation, int, int, int, void*, void*, CudaDataType, int,
            void*, CudaDataType, int, void*, void*, CudaDataType, int, CublasComputeType, int, int>)NativeLibrary.GetExport(lib, "cublasGemmEx");
        _gemmStridedBatchedEx = (delegate* unmanaged<IntPtr, CublasOperation, CublasOperation, int, int, int, void*, void*, CudaDataType, int, long,
            void*, CudaDataType, int, long, void*, void*, CudaDataType, int, long, int, CublasComputeType, int, int>)
            NativeLibrary.GetExport(lib, "cublasGemmStridedBatchedEx");
    }

    /// <summary>Loads cuBLAS once; returns null with the reason (names tried) when it is not there.</summary>
    public static CuBlas? TryLoad(out string? failure)
    {
        lock (Gate)
        {
            if (_instance is not null || _failure is not null) { failure = _failure; return _instance; }
            string? overridePath = Environment.GetEnvironmentVariable("MINERVA_CUBLAS");
            string[] names = string.IsNullOrEmpty(overridePath) ? Candidates : [overridePath];
            foreach (var name in names)
            {
                if (!NativeLibrary.TryLoad(name, out var lib)) continue;
                try { _instance = new CuBlas(name, lib); }
                catch (EntryPointNotFoundException e) { _failure = $"{name}: {e.Message}"; break; }
                break;
            }
            _failure ??= _instance is null ? $"cuBLAS not found (tried {string.Join(", ", names)})" : null;
            failure = _failure;
            return _instance;
        }
    }

    public void Check(int status, string call)
    {
        if (status == Success) return;
        string text = _statusString != null && _statusString(status) != null ? Marshal.PtrToStringUTF8((IntPtr)_statusString(status)) ?? "" : "";
        throw new CudaException(call, status, StatusName(status), text);
    }

    internal static string StatusName(int status) => status switch
    {
        0 => "CUBLAS_STATUS_SUCCESS",
        1 => "CUBLAS_STATUS_NOT_INITIALIZED",
        3 => "CUBLAS_STATUS_ALLOC_FAILED",
        7 => "CUBLAS_STATUS_INVALID_VALUE",
        8 => "CUBLAS_STATUS_ARCH_MISMATCH",
        11 => "CUBLAS_STATUS_MAPPING_ERROR",
        13 => "CUBLAS_STATUS_EXECUTION_FAILED",
        14 => "CUBLAS_STATUS_INTERNAL_ERROR",
        15 => "CUBLAS_STATUS_NOT_SUPPORTED",
        16 => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => $"cublasStatus {status}",
    };

    public IntPtr Create()
    {
        IntPtr handle;
        Check(_create(&handle), "cublasCreate_v2");
        return handle;
    }

    public int Destroy(IntPtr handle) => _destroy(handle);
    public void SetStream(IntPtr handle, IntPtr stream) => Check(_setStream(handle, stream), "cublasSetStream_v2");
    public void SetMathMode(IntPtr handle, CublasMath mode) => Check(_setMathMode(handle, mode), "cublasSetMathMode");

    /// <summary>Column-major C[m, n] = alpha * op(A) * op(B) + beta * C, F32 accumulation.</summary>
    public void GemmEx(IntPtr handle, CublasOperation ta, CublasOperation tb, int m, int n, int k,
        float alpha, ulong a, CudaDataType aType, int lda, ulong b, CudaDataType bType, int ldb,
        float beta, ulong c, CudaDataType cType, int ldc)
    {
        Check(_gemmEx(handle, ta, tb, m, n, k, &alpha, (void*)a, aType, lda, (void*)b, bType, ldb, &beta, (void*)c, cType, ldc,
            CublasComputeType.Compute32F, GemmDefault), "cublasGemmEx");
    }

    /// <summary><see cref="GemmEx"/> over <paramref name="batch"/> matrices at fixed element strides.</summary>
    public void GemmStridedBatchedEx(IntPtr handle, CublasOperation ta, CublasOperation tb, int m, int n, int k,
        float alpha, ulong a, CudaDataType aType, int lda, long strideA, ulong b, CudaDataType bType, int ldb, long strideB,
        float beta, ulong c, CudaDataType cType, int ldc, long strideC, int batch)
    {
        Check(_gemmStridedBatchedEx(handle, ta, tb, m, n, k, &alpha, (void*)a, aType, lda, strideA, (void*)b, bType, ldb, strideB,
            &beta, (void*)c, cType, ldc, strideC, batch, CublasComputeType.Compute32F, GemmDefault), "cublasGemmStridedBatchedEx");
    }
}
