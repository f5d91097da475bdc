// KV cache in F16 (llama.cpp's default cache type): K and V each  // [layers, sequences, contextLength, kvDim]
using System.Runtime.InteropServices;
using Minerva.Native.Execution;

namespace Minerva.Native.Backends.Cpu;

/// <summary>The F16 key and value caches of every layer, in native memory aligned to 64 bytes.</summary>
internal sealed unsafe class CpuKvCache : IKvCache
{
    private ushort* _k;
    private ushort* _v;

    internal CpuKvCache(int layers, int sequences, int contextLength, int kvDim)
    {
        if (layers <= 0 || sequences <= 0 || contextLength <= 0 || kvDim <= 0)
            throw new ArgumentOutOfRangeException(nameof(layers), $"KV cache [{layers}, {sequences}, {contextLength}, {kvDim}]");
        Layers = layers;
        Sequences = sequences;
        ContextLength = contextLength;
        KvDim = kvDim;
        // pages are committed as positions are first written, so unused slots cost address space only
        nuint bytes = (nuint)((long)layers * sequences * contextLength * kvDim * sizeof(ushort));
        _k = (ushort*)NativeMemory.AlignedAlloc(bytes, CpuTensor.Alignment);
        _v = (ushort*)NativeMemory.AlignedAlloc(bytes, CpuTensor.Alignment);
    }

    public int Layers { get; }
    public int Sequences { get; }
    public int ContextLength { get; }
    public int KvDim { get; }

    /// <summary>F16 bits of key row <paramref name="position"/> of <paramref name="sequence"/> in <paramref name="layer"/>  // [kvDim]</summary>
    public ushort* K(int layer, int sequence, int position) => Live(_k) + Offset(layer, sequence, position);

    /// <summary>F16 bits of value row <paramref name="position"/> of <paramref name="sequence"/> in <paramref name="layer"/>  // [kvDim]</summary>
    public ushort* V(int layer, int sequence, int position) => Live(_v) + Offset(layer, sequence, position);

    private long Offset(int layer, int sequence, int position) => (((long)layer * Sequences + sequence) * ContextLength + position) * KvDim;

    private static ushort* Live(ushort* p) => p != null ? p : throw new ObjectDisposedException(nameof(CpuKvCache));

    public void Dispose()
    {
        if (_k == null) return;
        NativeMemory.AlignedFree(_k);
        NativeMemory.AlignedFree(_v);
        _k = _v = null;
    }
}
