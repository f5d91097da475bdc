// A grow-only native scratch buffer aligned to 64 bytes: reallocated only when a step needs more than any before it.
using System.Runtime.InteropServices;

namespace Minerva.Native.Backends.Cpu;

internal sealed unsafe class NativeScratch : IDisposable
{
    private void* _data;
    private nuint _bytes;

    /// <summary>At least <paramref name="bytes"/> bytes; the contents are not kept when it grows.</summary>
    public void* Ensure(long bytes)
    {
        if ((nuint)bytes > _bytes || _data == null)
        {
            if (_data != null) NativeMemory.AlignedFree(_data);
            _bytes = (nuint)Math.Max(bytes, 64);
            _data = NativeMemory.AlignedAlloc(_bytes, CpuTensor.Alignment);
        }
        return _data;
    }

    public void Dispose()
    {
        if (_data == null) return;
        NativeMemory.AlignedFree(_data);
        _data = null;
        _bytes = 0;
    }
}
