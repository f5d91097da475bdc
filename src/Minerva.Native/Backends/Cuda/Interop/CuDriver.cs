// CUDA driver API bindings (cuda.h, 64-bit ABI: CUdeviceptr = u64, size_t = nuint, handles = pointers), _v2 entry points.
using System.Runtime.InteropServices;

namespace Minerva.Native.Backends.Cuda.Interop;

internal enum CuDeviceAttribute
{
    MultiprocessorCount = 16,
    ComputeCapabilityMajor = 75,
    ComputeCapabilityMinor = 76,
}

internal enum CuJitOption
{
    InfoLogBuffer = 3,
    InfoLogBufferSizeBytes = 4,
    ErrorLogBuffer = 5,
    ErrorLogBufferSizeBytes = 6,
}

internal enum CuFunctionAttribute
{
    MaxDynamicSharedSizeBytes = 8,
}

internal enum CuStreamCaptureMode
{
    Global = 0,
    ThreadLocal = 1,
    Relaxed = 2,
}

/// <summary>Raw driver calls; every one returns a CUresult (0 = CUDA_SUCCESS) that <see cref="Check"/> turns into an exception.</summary>
internal static unsafe partial class CuDriver
{
    internal const int Success = 0;
    // Blocking with respect to the legacy default stream, so that the synchronous cuMemcpy of uploads and downloads
    // is ordered with the work on our stream (a non-blocking stream would race with them).
    internal const uint StreamDefault = 0;
    internal const uint EventDefault = 0;

    static CuDriver() => NativeLibraries.EnsureRegistered();

    private const string Lib = NativeLibraries.CudaDriver;

    [LibraryImport(Lib)] internal static partial int cuInit(uint flags);
    [LibraryImport(Lib)] internal static partial int cuDriverGetVersion(int* version);
    [LibraryImport(Lib)] internal static partial int cuGetErrorName(int error, byte** str);
    [LibraryImport(Lib)] internal static partial int cuGetErrorString(int error, byte** str);

    [LibraryImport(Lib)] internal static partial int cuDeviceGetCount(int* count);
    [LibraryImport(Lib)] internal static partial int cuDeviceGet(int* device, int ordinal);
    [LibraryImport(Lib)] internal static partial int cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(Lib)] internal static partial int cuDeviceGetAttribute(int* value, CuDeviceAttribute attribute, int device);
    [LibraryImport(Lib)] internal static partial int cuDeviceTotalMem_v2(nuint* bytes, int device);

    [LibraryImport(Lib)] internal static partial int cuDevicePrimaryCtxRetain(IntPtr* context, int device);
    [LibraryImport(Lib)] internal static partial int cuDevicePrimaryCtxRelease_v2(int device);
    [LibraryImport(Lib)] internal static partial int cuCtxSetCurrent(IntPtr context);
    [LibraryImport(Lib)] internal static partial int cuCtxSynchronize();

    [LibraryImport(Lib)] internal static partial int cuModuleLoadDataEx(IntPtr* module, void* image, uint numOptions, CuJitOption* options, void** optionValues);
    [LibraryImport(Lib)] internal static partial int cuModuleUnload(IntPtr module);
    [LibraryImport(Lib)] internal static partial int cuModuleGetFunction(IntPtr* function, IntPtr module, byte* name);
    [LibraryImport(Lib)] internal static partial int cuFuncSetAttribute(IntPtr function, CuFunctionAttribute attribute, int value);
    [LibraryImport(Lib)]
    internal static partial int cuLaunchKernel(IntPtr function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedMemBytes, IntPtr stream, void** kernelParams, void** extra);

    [LibraryImport(Lib)] internal static partial int cuMemAlloc_v2(ulong* devicePtr, nuint bytes);
    [LibraryImport(Lib)] internal static partial int cuMemFree_v2(ulong devicePtr);
    [LibraryImport(Lib)] internal static partial int cuMemAllocHost_v2(void** hostPtr, nuint bytes);
    [LibraryImport(Lib)] internal static partial int cuMemFreeHost(void* hostPtr);
    [LibraryImport(Lib)] internal static partial int cuMemGetInfo_v2(nuint* free, nuint* total);
    [LibraryImport(Lib)] internal static partial int cuMemcpyHtoD_v2(ulong dst, void* src, nuint bytes);
    [LibraryImport(Lib)] internal static partial int cuMemcpyDtoH_v2(void* dst, ulong src, nuint bytes);
    [LibraryImport(Lib)] internal static partial int cuMemcpyDtoD_v2(ulong dst, ulong src, nuint bytes);
    [LibraryImport(Lib)] internal static partial int cuMemcpyHtoDAsync_v2(ulong dst, void* src, nuint bytes, IntPtr stream);
    [LibraryImport(Lib)] internal static partial int cuMemcpyDtoHAsync_v2(void* dst, ulong src, nuint bytes, IntPtr stream);
    [LibraryImport(Lib)] internal static partial int cuMemcpyDtoDAsync_v2(ulong dst, ulong src, nuint bytes, IntPtr stream);
    [LibraryImport(Lib)] internal static partial int cuMemsetD8Async(ulong dst, byte value, nuint count, IntPtr stream);
    [LibraryImport(Lib)] internal static partial int cuMemsetD32Async(ulong dst, uint value, nuint count, IntPtr stream);

    [LibraryImport(Lib)] internal static partial int cuStreamCreate(IntPtr* stream, uint flags);
    [LibraryImport(Lib)] internal static partial int cuStreamDestroy_v2(IntPtr stream);
    [LibraryImport(Lib)] internal static partial int cuStreamSynchronize(IntPtr stream);

    [LibraryImport(Lib)] internal static partial int cuEventCreate(IntPtr* evt, uint flags);
    [LibraryImport(Lib)] internal static partial int cuEventRecord(IntPtr evt, IntPtr stream);
    [LibraryImport(Lib)] internal static partial int cuEventSynchronize(IntPtr evt);
    [LibraryImport(Lib)] internal static partial int cuEventElapsedTime(float* milliseconds, IntPtr start, IntPtr end);
    [LibraryImport(Lib)] internal static partial int cuEventDestroy_v2(IntPtr evt);

    [LibraryImport(Lib)] internal static partial int cuStreamBeginCapture_v2(IntPtr stream, CuStreamCaptureMode mode);
    [LibraryImport(Lib)] internal static partial int cuStreamEndCapture(IntPtr stream, IntPtr* graph);
    [LibraryImport(Lib)] internal static partial int cuGraphInstantiateWithFlags(IntPtr* graphExec, IntPtr graph, ulong flags);
    [LibraryImport(Lib)] internal static partial int cuGraphLaunch(IntPtr graphExec, IntPtr stream);
    [LibraryImport(Lib)] internal static partial int cuGraphExecDestroy(IntPtr graphExec);
    [LibraryImport(Lib)] internal static partial int cuGraphDestroy(IntPtr graph);

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> when <paramref name="result"/> is not success.</summary>
    internal static void Check(int result, string call)
    {
        if (result != Success) throw Error(result, call);
    }

    internal static CudaException Error(int result, string call, string? jitLog = null) =>
        new(call, result, ErrorName(result), ErrorString(result), jitLog);

    internal static string ErrorName(int result)
    {
        byte* s = null;
        try { return cuGetErrorName(result, &s) == Success && s != null ? Marshal.PtrToStringUTF8((IntPtr)s) ?? "?" : $"CUresult {result}"; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return $"CUresult {result}"; }
    }

    internal static string ErrorString(int result)
    {
        byte* s = null;
        try { return cuGetErrorString(result, &s) == Success && s != null ? Marshal.PtrToStringUTF8((IntPtr)s) ?? "" : "unknown error"; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return "unknown error"; }
    }
}
