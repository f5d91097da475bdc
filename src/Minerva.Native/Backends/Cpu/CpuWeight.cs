// A weight on the CPU: a zero-copy view of the memory-mapped tensor, rows in the file's own type.
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Execution;
using Minerva.Native.Quantization;
using Minerva.Native.Tensors;
using Minerva.Native.Simd;

namespace Minerva.Native.Backends.Cpu;

/// <summary>A view of <see cref="WeightTensor.Data"/>; the CPU backend never copies weights.</summary>
internal sealed unsafe class CpuWeight : IBackendWeight
{
    internal CpuWeight(WeightTensor source)
    {
        Source = source;
        if (source.Type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16))
        {
            Traits = QuantRegistry.Get(source.Type);
            VecDot = QuantDot.Best(source.Type) ?? Traits.VecDotReference;
            ActivationTraits = Traits.ActivationType == GgmlType.F32 ? null : QuantRegistry.Get(Traits.ActivationType);
            Tile = SimdSupport.Tier >= SimdTier.Avx2 ? QuantTileK.For(source.Type) ?? QuantTile8.For(source.Type) : null;
        }
    }

    public WeightTensor Source { get; }
    public byte* Data => Source.Data;
    public GgmlType Type => Source.Type;
    public int Columns => checked((int)Source.Columns);
    public int Rows => checked((int)Source.Rows);
    public long RowBytes => Source.RowBytes;

    /// <summary>The traits row of a quantized type; null for F32, F16 and BF16, which the CPU kernels handle natively.</summary>
    internal QuantTraits? Traits { get; }
    /// <summary>The fastest vec-dot of a quantized type at the tier in use (the reference where no SIMD kernel exists).</summary>
    internal VecDot? VecDot { get; }
    /// <summary>The traits of the type activations are quantized to for <see cref="VecDot"/>; null when it takes F32.</summary>
    internal QuantTraits? ActivationTraits { get; }
    /// <summary>The kernel that unpacks each weight block once for a tile of tokens; null where the type has none.</summary>
    internal QuantTile? Tile { get; }

    public void Dispose() { }
}
