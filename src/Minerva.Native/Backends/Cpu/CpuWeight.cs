// A weight on the CPU: a zero-copy view of the memory-mapped tensor, rows in the file's own type; on AVX-512, Q4_0, Q8_0,
// Q4_K, Q6_K, F16 and BF16 matrices are repacked into Repack16's row groups at load (or at their first matmul): that copy
// replaces the mapping (whose pages are then dropped; an embedding lookup of a tied table faults its rows back in).
using System.Runtime.InteropServices;
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Execution;
using Minerva.Native.Quantization;
using Minerva.Native.Tensors;
using Minerva.Native.Simd;

namespace Minerva.Native.Backends.Cpu;

/// <summary>A view of <see cref="WeightTensor.Data"/>; the only copy the CPU backend makes is the repacked one.</summary>
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

    /// <summary>Whether matmuls take <see cref="Repacked"/> (Gemm16) rather than the mapped rows.</summary>
    internal bool Repacks => Repack16.Supports(Type, Source.Rows, Source.Columns);

    /// <summary>Whether the repacked copy exists (made by CpuBackend.PrepareMatMul at load, or by the first matmul).</summary>
    internal bool IsRepacked => _repacked != null;

    /// <summary>F16 panels without infinities or NaNs: Gemm16F reads them as w * 2^-112 in three instructions
    /// (Gemm16F.F16ScaledLoader) against activations times 2^112, the same products exactly. Set by <see cref="Repacked"/>.</summary>
    internal bool F16Scaled { get; private set; }

    /// <summary>The weight in Repack16's layout ([rows / 16, GroupBytes]); made on first use on <paramref name="pool"/>.</summary>
    internal byte* Repacked(WorkerPool pool, RepackJob job)
    {
        if (_repacked != null) return _repacked;
        lock (_repackGate)
        {
            if (_repacked != null) return _repacked;
            byte* buffer = Repack16.Allocate(Type, Rows, Columns);
            job.Source = Data;
            job.Destination = buffer;
            (job.RowBytes, job.Type, job.Columns) = (RowBytes, Type, Columns);
            job.NonFinite = 0;
            pool.Run(job, Rows / Repack16.Rows);
            F16Scaled = Type == GgmlType.F16 && job.NonFinite == 0;
            if (Source.FileMapped) MappedPages.Release(Data, Source.ByteCount);
            _repacked = buffer;
            return buffer;
        }
    }

    public void Dispose()
    {
        lock (_repackGate)
        {
            if (_repacked == null) return;
            NativeMemory.AlignedFree(_repacked);
            _repacked = null;
        }
    }

    private readonly object _repackGate = new();
    private volatile byte* _repacked;
}
