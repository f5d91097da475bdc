// Row-parallel jobs of the CPU backend: each chunk is one token row (or one (row, head) pair for attention).
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Tensors;

namespace Minerva.Native.Backends.Cpu;

internal sealed unsafe class RmsNormJob : IParallelJob
{
    public float* X, Weight, Y;      // X, Y: [rows, Columns]; Weight: [Columns]
    public int Columns;
    public float Epsilon;

    public void Execute(int chunk, int worker) =>
        RmsNorm.Run(X + (long)chunk * Columns, Weight, Epsilon, Y + (long)chunk * Columns, Columns);
}

internal enum BinaryKind { Add, SiluMul }

internal sealed unsafe class BinaryJob : IParallelJob
{
    public float* X, Y, Z;           // [rows, Columns] each; Y is one row for every row when BroadcastY
    public int Columns;
    public BinaryKind Kind;
    public bool BroadcastY;

    public void Execute(int chunk, int worker)
    {
        long o = (long)chunk * Columns;
        float* y = BroadcastY ? Y : Y + o;
        if (Kind == BinaryKind.Add) Add.Run(X + o, y, Z + o, Columns);
        else SiluMul.Run(X + o, y, Z + o, Columns);
    }
}

internal sealed unsafe class RopeJob : IParallelJob
{
    public float* X;                 // [rows, Heads * HeadDim]
    public int Heads, HeadDim;
    public int[] Positions = [];     // [rows] position of each row
    public float Theta, FreqScale;
    public float* FreqFactors;       // [HeadDim / 2] divisors of each pair's frequency, or null
    public RopeLayout Layout;
    public float* Scratch;           // [threads, HeadDim] cos/sin cache

    public void Execute(int chunk, int worker)
    {
        float* cache = Scratch + (long)worker * HeadDim;
        Rope.BuildCache(Positions[chunk], HeadDim, Theta, FreqScale, FreqFactors, cache);
        float* row = X + (long)chunk * Heads * HeadDim;
        for (int h = 0; h < Heads; h++) Rope.RotateHead(row + h * HeadDim, cache, HeadDim, Layout);
    }
}

internal sealed unsafe class AttentionJob : IParallelJob
{
    public float* Q, Output;         // [rows, Heads * HeadDim] each
    public CpuKvCache Cache = null!;
    public int Layer, Heads, KvHeads, HeadDim;
    public int[] Positions = [], Sequences = [];   // [rows] each
    public int Window;               // 0: every earlier position; else the last Window positions
    public int HeadsPerChunk;        // a divisor of Heads / KvHeads: the whole group, or a part when there are few chunks
    public float Scale;
    public float* Scratch;           // [threads, ScratchFloatsPerThread]
    public long ScratchFloatsPerThread;

    public int Chunks(int rows) => rows * (Heads / HeadsPerChunk);

    // chunk = (row, run of HeadsPerChunk query heads of one KV head): the heads sharing a KV head run together (Attention.Group)
    public void Execute(int chunk, int worker)
    {
        int perRow = Heads / HeadsPerChunk;
        int r = chunk / perRow, h0 = chunk % perRow * HeadsPerChunk;
        int kvHead = h0 / (Heads / KvHeads);
        long o = (long)r * Heads * HeadDim + (long)h0 * HeadDim;
        int end = Positions[r] + 1, first = Window > 0 ? Math.Max(0, end - Window) : 0, seq = Sequences[r];
        Attention.Group(Q + o, HeadsPerChunk, Cache.K(Layer, seq, first) + kvHead * HeadDim, Cache.V(Layer, seq, first) + kvHead * HeadDim, Cache.KvDim,
            end - first, HeadDim, Scale, Output + o, Scratch + worker * ScratchFloatsPerThread);
    }
}
