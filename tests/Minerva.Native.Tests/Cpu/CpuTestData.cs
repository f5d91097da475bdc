// Seeded random data in native memory for the CPU kernel tests, and weights built over it.
using System.Runtime.InteropServices;
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Model;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Cpu;

/// <summary>A native, 64-byte aligned array (kernels take pointers); padded with a guard that must stay untouched.</summary>
internal sealed unsafe class NativeArray<T> : IDisposable where T : unmanaged
{
    private const int Guard = 16;
    private static readonly byte GuardByte = 0xA5;
    private readonly byte* _base;

    public NativeArray(long length)
    {
        Length = length;
        long bytes = (length + 2 * Guard) * sizeof(T);
        _base = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        new Span<byte>(_base, checked((int)bytes)).Fill(GuardByte);
        Pointer = (T*)(_base + Guard * sizeof(T));
        Span.Clear();
    }

    public long Length { get; }
    public T* Pointer { get; }
    public Span<T> Span => new(Pointer, checked((int)Length));

    public T this[long i] { get => Pointer[i]; set => Pointer[i] = value; }

    public bool GuardsIntact()
    {
        var before = new ReadOnlySpan<byte>(_base, Guard * sizeof(T));
        var after = new ReadOnlySpan<byte>((byte*)(Pointer + Length), Guard * sizeof(T));
        return !before.ContainsAnyExcept(GuardByte) && !after.ContainsAnyExcept(GuardByte);
    }

    public void Dispose() => NativeMemory.AlignedFree(_base);
}

internal static unsafe class CpuTestData
{
    public static NativeArray<float> Floats(Random rng, long n, float scale = 1f)
    {
        var a = new NativeArray<float>(n);
        for (long i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    public static NativeArray<ushort> Halves(Random rng, long n, float scale = 1f)
    {
        var a = new NativeArray<ushort>(n);
        for (long i = 0; i < n; i++) a[i] = HalfConvert.F32ToF16((float)(rng.NextDouble() * 2 - 1) * scale);
        return a;
    }

    public static NativeArray<ushort> BFloats(Random rng, long n, float scale = 1f)
    {
        var a = new NativeArray<ushort>(n);
        for (long i = 0; i < n; i++) a[i] = HalfConvert.F32ToBF16((float)(rng.NextDouble() * 2 - 1) * scale);
        return a;
    }

    /// <summary>A [rows, cols] weight of type F32, F16 or BF16 with random values, over native memory it owns.</summary>
    public static TestWeight Weight(Random rng, GgmlType type, int rows, int cols, float scale = 1f)
    {
        long bytes = GgmlTypes.RowBytes(type, cols) * rows;
        var data = new NativeArray<byte>(Math.Max(bytes, 1));
        for (long i = 0; i < (long)rows * cols; i++)
        {
            float v = (float)(rng.NextDouble() * 2 - 1) * scale;
            switch (type)
            {
                case GgmlType.F32: ((float*)data.Pointer)[i] = v; break;
                case GgmlType.F16: ((ushort*)data.Pointer)[i] = HalfConvert.F32ToF16(v); break;
                case GgmlType.BF16: ((ushort*)data.Pointer)[i] = HalfConvert.F32ToBF16(v); break;
                default: throw new ArgumentException($"use Quantized() for {type}");
            }
        }
        return new TestWeight(new WeightTensor($"test.{type}", type, rows == 1 ? [cols] : [cols, rows], data.Pointer, bytes), data);
    }

    /// <summary>Value i of a weight of type F32, F16 or BF16 as F32.</summary>
    public static float WeightValue(WeightTensor w, long i) => w.Type switch
    {
        GgmlType.F32 => ((float*)w.Data)[i],
        GgmlType.F16 => HalfConvert.F16ToF32(((ushort*)w.Data)[i]),
        GgmlType.BF16 => HalfConvert.BF16ToF32(((ushort*)w.Data)[i]),
        _ => throw new ArgumentException(w.Type.ToString()),
    };
}

internal sealed class TestWeight(WeightTensor tensor, IDisposable memory) : IDisposable
{
    public WeightTensor Tensor { get; } = tensor;
    public void Dispose() => memory.Dispose();
}
