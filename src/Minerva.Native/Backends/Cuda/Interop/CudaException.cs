// A failed CUDA driver or cuBLAS call: the API's error name and message, plus the JIT log for module loads.
namespace Minerva.Native.Backends.Cuda.Interop;

/// <summary>A CUDA driver or cuBLAS call returned an error.</summary>
internal sealed class CudaException : Exception
{
    public CudaException(string call, int code, string errorName, string message, string? jitLog = null)
        : base(Format(call, code, errorName, message, jitLog))
    {
        Call = call;
        Code = code;
        ErrorName = errorName;
        JitLog = jitLog;
    }

    /// <summary>The API function that failed (e.g. <c>cuLaunchKernel</c>).</summary>
    public string Call { get; }
    /// <summary>The numeric CUresult / cublasStatus_t.</summary>
    public int Code { get; }
    /// <summary>The symbolic name (e.g. <c>CUDA_ERROR_OUT_OF_MEMORY</c>).</summary>
    public string ErrorName { get; }
    /// <summary>The PTX JIT compiler's error log, when a module failed to load.</summary>
    public string? JitLog { get; }

    private static string Format(string call, int code, string name, string message, string? jitLog) =>
        $"{call} failed: {name} ({code}): {message}" + (string.IsNullOrWhiteSpace(jitLog) ? "" : $"\nJIT log:\n{jitLog.Trim()}");
}
