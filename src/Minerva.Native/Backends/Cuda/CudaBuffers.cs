// Device-side tensors of the CUDA backend: F32 activations [rows, cols], weights as uploaded, F16 KV cache [layers, sequences, ctx, kvDim].
using Minerva.Native.Backends.Cuda.Interop;
using Minerva.Native.Execution;
using Minerva.Native.Tensors;

namespace Minerva.Native.Backends.Cuda;

/// <summary>F32 activations on the device: [Capacity, Cols] row-major.</summary>
internal sealed class CudaTensor : BackendTensor
{
    public CudaTensor(int capacity, int cols) : base(capacity, cols) => Buffer = new DeviceBuffer((long)capacity * cols * sizeof(float));

    public DeviceBuffer Buffer { get; }
    public ulong Pointer => Buffer.Pointer;
    public ulong Row(int row) => Buffer.At((long)row * Cols * sizeof(float));

    public override void Dispose() => Buffer.Dispose();
}

/// <summary>
/// A weight on the device: GGUF blocks stay quantized, F16/BF16/F32 matrices as they are; vectors (norm weights) are
/// converted to F32 at upload so that element-wise kernels read one type.
/// </summary>
internal sealed class CudaWeight : IBackendWeight
{
    public CudaWeight(WeightTensor source, GgmlType deviceType, DeviceBuffer buffer)
    {
        Source = source;
        Type = deviceType;
        Buffer = buffer;
    }

    public WeightTensor Source { get; }
    /// <summary>Element type of the device copy (F32 for vectors converted at upload).</summary>
    public GgmlType Type { get; }
    public DeviceBuffer Buffer { get; }
    public ulong Pointer => Buffer.Pointer;
    public int Rows => checked((int)Source.Rows);
    public int Cols => checked((int)Source.Columns);

    public void Dispose() => Buffer.Dispose();
}

/// <summary>K and V caches, each F16 [layers, sequences, contextLength, kvDim]; the kernels find a row's slot from its sequence and position.</summary>
internal sealed class CudaKvCache : IKvCache
{
    public CudaKvCache(int layers, int sequences, int contextLength, int kvDim)
    {
        Layers = layers;
        Sequences = sequences;
        ContextLength = contextLength;
        KvDim = kvDim;
        long bytes = (long)layers * sequences * contextLength * kvDim * sizeof(ushort);
        K = new DeviceBuffer(bytes);
        V = new DeviceBuffer(bytes);
    }

    public int Layers { get; }
    public int Sequences { get; }
    public int ContextLength { get; }
    public int KvDim { get; }
    public DeviceBuffer K { get; }
    public DeviceBuffer V { get; }
    public bool IsDisposed { get; private set; }

    /// <summary>Base of one layer of K and of V  // [sequences, contextLength, kvDim] each</summary>
    public ulong LayerK(int layer) => K.At(LayerOffset(layer));
    public ulong LayerV(int layer) => V.At(LayerOffset(layer));

    private long LayerOffset(int layer)
    {
        if ((uint)layer >= (uint)Layers) throw new ArgumentOutOfRangeException(nameof(layer), $"layer {layer} of {Layers}");
        return (long)layer * Sequences * ContextLength * KvDim * sizeof(ushort);
    }

    public void Dispose()
    {
        K.Dispose();
        V.Dispose();
        IsDisposed = true;
    }
}
