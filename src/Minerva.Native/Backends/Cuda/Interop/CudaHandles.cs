// Owning wrappers of driver objects (device memory, pinned host memory, streams, events, modules, graphs, cuBLAS handle).
using System.Runtime.InteropServices;

namespace Minerva.Native.Backends.Cuda.Interop;

/// <summary>Device memory from cuMemAlloc: <see cref="Bytes"/> bytes at <see cref="Pointer"/>.</summary>
internal sealed unsafe class DeviceBuffer : IDisposable
{
    public DeviceBuffer(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Bytes = bytes;
        ulong p = 0;
        if (bytes > 0) CuDriver.Check(CuDriver.cuMemAlloc_v2(&p, (nuint)bytes), $"cuMemAlloc_v2({bytes} bytes)");
        Pointer = p;
    }

    public ulong Pointer { get; private set; }
    public long Bytes { get; }

    public ulong At(long byteOffset)
    {
        if ((ulong)byteOffset > (ulong)Bytes) throw new ArgumentOutOfRangeException(nameof(byteOffset), $"{byteOffset} past a buffer of {Bytes} bytes");
        return Pointer + (ulong)byteOffset;
    }

    public void Upload(void* source, long bytes)
    {
        if (bytes > Bytes) throw new ArgumentOutOfRangeException(nameof(bytes));
        if (bytes > 0) CuDriver.Check(CuDriver.cuMemcpyHtoD_v2(Pointer, source, (nuint)bytes), "cuMemcpyHtoD_v2");
    }

    public void Upload<T>(ReadOnlySpan<T> source) where T : unmanaged
    {
        fixed (T* p = source) Upload(p, (long)source.Length * sizeof(T));
    }

    public void Download<T>(Span<T> destination, long byteOffset = 0) where T : unmanaged
    {
        long bytes = (long)destination.Length * sizeof(T);
        if (byteOffset < 0 || byteOffset + bytes > Bytes) throw new ArgumentOutOfRangeException(nameof(destination));
        fixed (T* p = destination)
            if (bytes > 0) CuDriver.Check(CuDriver.cuMemcpyDtoH_v2(p, Pointer + (ulong)byteOffset, (nuint)bytes), "cuMemcpyDtoH_v2");
    }

    public void Dispose()
    {
        if (Pointer == 0) return;
        CuDriver.cuMemFree_v2(Pointer); // error on free is not actionable (context may already be torn down)
        Pointer = 0;
    }
}

/// <summary>Page-locked host memory from cuMemAllocHost (the source/target of async copies).</summary>
internal sealed unsafe class PinnedHostBuffer : IDisposable
{
    public PinnedHostBuffer(long bytes)
    {
        Bytes = bytes;
        void* p = null;
        CuDriver.Check(CuDriver.cuMemAllocHost_v2(&p, (nuint)Math.Max(bytes, 1)), $"cuMemAllocHost_v2({bytes} bytes)");
        Pointer = p;
    }

    public void* Pointer { get; private set; }
    public long Bytes { get; }

    public Span<T> AsSpan<T>() where T : unmanaged => new(Pointer, checked((int)(Bytes / sizeof(T))));

    public void Dispose()
    {
        if (Pointer == null) return;
        CuDriver.cuMemFreeHost(Pointer);
        Pointer = null;
    }
}

internal sealed unsafe class CudaStream : IDisposable
{
    public CudaStream()
    {
        IntPtr s;
        CuDriver.Check(CuDriver.cuStreamCreate(&s, CuDriver.StreamDefault), "cuStreamCreate");
        Handle = s;
    }

    public IntPtr Handle { get; private set; }

    public void Synchronize() => CuDriver.Check(CuDriver.cuStreamSynchronize(Handle), "cuStreamSynchronize");

    public void Dispose()
    {
        if (Handle == IntPtr.Zero) return;
        CuDriver.cuStreamDestroy_v2(Handle);
        Handle = IntPtr.Zero;
    }
}

internal sealed unsafe class CudaEvent : IDisposable
{
    public CudaEvent()
    {
        IntPtr e;
        CuDriver.Check(CuDriver.cuEventCreate(&e, CuDriver.EventDefault), "cuEventCreate");
        Handle = e;
    }

    public IntPtr Handle { get; private set; }

    public void Record(CudaStream stream) => CuDriver.Check(CuDriver.cuEventRecord(Handle, stream.Handle), "cuEventRecord");
    public void Synchronize() => CuDriver.Check(CuDriver.cuEventSynchronize(Handle), "cuEventSynchronize");

    /// <summary>Milliseconds from <paramref name="start"/> to this event (both recorded and complete).</summary>
    public float ElapsedSince(CudaEvent start)
    {
        float ms;
        CuDriver.Check(CuDriver.cuEventElapsedTime(&ms, start.Handle, Handle), "cuEventElapsedTime");
        return ms;
    }

    public void Dispose()
    {
        if (Handle == IntPtr.Zero) return;
        CuDriver.cuEventDestroy_v2(Handle);
        Handle = IntPtr.Zero;
    }
}

/// <summary>A loaded PTX module (JIT-compiled by the driver).</summary>
internal sealed unsafe class CudaModule : IDisposable
{
    private CudaModule(IntPtr handle, string name) { Handle = handle; Name = name; }

    public IntPtr Handle { get; private set; }
    public string Name { get; }

    /// <summary>JIT-loads PTX text; a failure carries the JIT error log.</summary>
    public static CudaModule Load(string name, ReadOnlySpan<byte> ptx)
    {
        const int logSize = 16 * 1024;
        byte[] image = new byte[ptx.Length + 1]; // NUL-terminated
        ptx.CopyTo(image);
        byte* errorLog = stackalloc byte[logSize];
        errorLog[0] = 0;
        CuJitOption* options = stackalloc CuJitOption[] { CuJitOption.ErrorLogBuffer, CuJitOption.ErrorLogBufferSizeBytes };
        void** values = stackalloc void*[] { errorLog, (void*)(nint)logSize };
        IntPtr module;
        int rc;
        fixed (byte* p = image) rc = CuDriver.cuModuleLoadDataEx(&module, p, 2, options, values);
        if (rc != CuDriver.Success)
            throw CuDriver.Error(rc, $"cuModuleLoadDataEx({name})", Marshal.PtrToStringUTF8((IntPtr)errorLog, new ReadOnlySpan<byte>(errorLog, logSize).IndexOf((byte)0) is var n && n >= 0 ? n : logSize));
        return new CudaModule(module, name);
    }

    public IntPtr GetFunction(string function)
    {
        IntPtr f;
        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(function + "\0");
        fixed (byte* p = utf8) CuDriver.Check(CuDriver.cuModuleGetFunction(&f, Handle, p), $"cuModuleGetFunction({Name}:{function})");
        return f;
    }

    public void Dispose()
    {
        if (Handle == IntPtr.Zero) return;
        CuDriver.cuModuleUnload(Handle);
        Handle = IntPtr.Zero;
    }
}

/// <summary>An instantiated CUDA graph captured from a stream.</summary>
internal sealed unsafe class CudaGraphExec : IDisposable
{
    private IntPtr _graph, _exec;

    /// <summary>Ends the capture on <paramref name="stream"/> and instantiates what was recorded.</summary>
    public static CudaGraphExec EndCapture(CudaStream stream)
    {
        IntPtr graph, exec;
        CuDriver.Check(CuDriver.cuStreamEndCapture(stream.Handle, &graph), "cuStreamEndCapture");
        int rc = CuDriver.cuGraphInstantiateWithFlags(&exec, graph, 0);
        if (rc != CuDriver.Success)
        {
            CuDriver.cuGraphDestroy(graph);
            throw CuDriver.Error(rc, "cuGraphInstantiateWithFlags");
        }
        return new CudaGraphExec { _graph = graph, _exec = exec };
    }

    public void Launch(CudaStream stream) => CuDriver.Check(CuDriver.cuGraphLaunch(_exec, stream.Handle), "cuGraphLaunch");

    public void Dispose()
    {
        if (_exec != IntPtr.Zero) CuDriver.cuGraphExecDestroy(_exec);
        if (_graph != IntPtr.Zero) CuDriver.cuGraphDestroy(_graph);
        _exec = _graph = IntPtr.Zero;
    }
}

/// <summary>A cuBLAS handle bound to one stream.</summary>
internal sealed class CublasHandle : IDisposable
{
    public CublasHandle(CuBlas api, CudaStream stream, CublasMath math)
    {
        Api = api;
        Handle = api.Create();
        api.SetStream(Handle, stream.Handle);
        api.SetMathMode(Handle, math);
    }

    public CuBlas Api { get; }
    public IntPtr Handle { get; private set; }

    public void Dispose()
    {
        if (Handle == IntPtr.Zero) return;
        Api.Destroy(Handle);
        Handle = IntPtr.Zero;
    }
}
