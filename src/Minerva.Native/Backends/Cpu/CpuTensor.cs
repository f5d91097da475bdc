// CPU activation buffer: native memory aligned to 64 bytes, row-major F32  // [capacity, cols]
using System.Runtime.InteropServices;
using Minerva.Native.Execution;

namespace Minerva.Native.Backends.Cpu;

/// <summary>An F32 activation buffer in native memory aligned to 64 bytes (one cache line, one AVX-512 vector).</summary>
internal sealed unsafe class CpuTensor : BackendTensor
{
    internal const int Alignment = 64;
    private float* _data;

    internal CpuTensor(int capacity, int cols) : base(capacity, cols)
    {
        if (capacity < 0 || cols < 0) throw new ArgumentOutOfRangeException(nameof(capacity), $"shape [{capacity}, {cols}]");
        nuint bytes = (nuint)Math.Max(1L, (long)capacity * cols) * sizeof(float);
        _data = (float*)NativeMemory.AlignedAlloc(bytes, Alignment);
        NativeMemory.Clear(_data, bytes);
    }

    /// <summary>First element; row r starts at <c>Data + r * Cols</c>.</summary>
    public float* Data => _data != null ? _data : throw new ObjectDisposedException(nameof(CpuTensor));

    public float* Row(int row) => Data + (long)row * Cols;

    public Span<float> RowSpan(int row) => new(Row(row), Cols);

    public override void Dispose()
    {
        if (_data == null) return;
        NativeMemory.AlignedFree(_data);
        _data = null;
    }
}
