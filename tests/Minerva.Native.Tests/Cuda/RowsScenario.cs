// Steps whose rows belong to many sequences, for the op tests of any backend: a KV pool filled by StoreKv steps that
// interleave sequences, query rows at their own (sequence, position), and the scalar references (double) they are held to.
using Minerva.Native.Execution;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Cuda;

/// <summary>
/// A pool of <see cref="Sequences"/> sequences of which sequence s holds positions 0..Filled[s]-1 in layer
/// <see cref="Layer"/> of a two-layer cache. K and V of (s, p) are seeded random values in [-1, 1]; <see cref="K"/> and
/// <see cref="V"/> hold them rounded to F16 as the cache does  // [sequences, ctx, kvDim]
/// </summary>
internal sealed class RowsScenario
{
    public const int Layers = 2, Layer = 1;

    public RowsScenario(int ctx, int kvDim, int[] filled, int seed)
    {
        if (filled.Any(f => f > ctx)) throw new ArgumentException("a sequence longer than the context");
        Ctx = ctx;
        KvDim = kvDim;
        Filled = filled;
        var rng = new Random(seed);
        long n = (long)filled.Length * ctx * kvDim;
        RawK = new float[n];
        RawV = new float[n];
        for (long i = 0; i < n; i++) { RawK[i] = (float)(rng.NextDouble() * 2 - 1); RawV[i] = (float)(rng.NextDouble() * 2 - 1); }
        K = RawK.Select(v => (float)(Half)v).ToArray();
        V = RawV.Select(v => (float)(Half)v).ToArray();
    }

    public int Ctx { get; }
    public int KvDim { get; }
    public int Sequences => Filled.Length;
    public int[] Filled { get; }
    public float[] RawK { get; }
    public float[] RawV { get; }
    public float[] K { get; }
    public float[] V { get; }

    public long At(int seq, int pos) => ((long)seq * Ctx + pos) * KvDim;

    /// <summary>Every filled (sequence, position), position-major so that each step holds rows of several sequences, in
    /// steps of <paramref name="rowsPerStep"/> rows.</summary>
    public IEnumerable<(int[] Seq, int[] Pos)> FillSteps(int rowsPerStep)
    {
        var rows = new List<(int Seq, int Pos)>();
        for (int p = 0; p < Filled.Max(); p++)
            for (int s = Sequences - 1; s >= 0; s--)
                if (p < Filled[s]) rows.Add((s, p));
        for (int i = 0; i < rows.Count; i += rowsPerStep)
        {
            var step = rows.Skip(i).Take(rowsPerStep).ToArray();
            yield return (step.Select(r => r.Seq).ToArray(), step.Select(r => r.Pos).ToArray());
        }
    }

    /// <summary>Rows of <paramref name="source"/> (RawK or RawV) at the given slots  // [rows, kvDim]</summary>
    public float[] Gather(float[] source, int[] seq, int[] pos)
    {
        var rows = new float[seq.Length * KvDim];
        for (int r = 0; r < seq.Length; r++) Array.Copy(source, At(seq[r], pos[r]), rows, r * KvDim, KvDim);
        return rows;
    }

    /// <summary>Fills the cache through StoreKv steps of <paramref name="rowsPerStep"/> interleaved rows; <paramref name="tensor"/>
    /// makes a backend tensor holding [rows, cols] values.</summary>
    public void Fill(IBackend backend, IKvCache cache, Func<int, int, float[], BackendTensor> tensor, int rowsPerStep)
    {
        foreach (var (seq, pos) in FillSteps(rowsPerStep))
        {
            using var k = tensor(seq.Length, KvDim, Gather(RawK, seq, pos));
            using var v = tensor(seq.Length, KvDim, Gather(RawV, seq, pos));
            backend.SetInput(new int[seq.Length], pos, seq);
            backend.StoreKv(cache, Layer, k, v);
        }
    }

    /// <summary>Causal GQA attention of query rows at (seq[r], pos[r]) over the F16-rounded cache, q rounded to F16 as the
    /// backends do, softmax in double; the last <paramref name="window"/> positions when it is set  // [rows, heads * headDim]</summary>
    public float[] Attention(float[] q, int[] seq, int[] pos, AttentionShape shape)
    {
        int heads = shape.Heads, headDim = shape.HeadDim, qDim = heads * headDim;
        var output = new float[seq.Length * qDim];
        double scale = 1.0 / Math.Sqrt(headDim);
        for (int r = 0; r < seq.Length; r++)
        {
            if (pos[r] >= Filled[seq[r]]) throw new ArgumentException($"row {r}: position {pos[r]} of sequence {seq[r]} is not filled");
            int n = pos[r] + 1, first = shape.Window > 0 ? Math.Max(0, n - shape.Window) : 0;
            for (int h = 0; h < heads; h++)
            {
                int kvh = h / (heads / shape.KvHeads);
                var s = new double[n];
                double max = double.NegativeInfinity;
                for (int t = first; t < n; t++)
                {
                    long at = At(seq[r], t) + kvh * headDim;
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) dot += (double)(float)(Half)q[r * qDim + h * headDim + d] * K[at + d];
                    s[t] = dot * scale;
                    max = Math.Max(max, s[t]);
                }
                double sum = 0;
                for (int t = first; t < n; t++) { s[t] = Math.Exp(s[t] - max); sum += s[t]; }
                for (int d = 0; d < headDim; d++)
                {
                    double acc = 0;
                    for (int t = first; t < n; t++) acc += s[t] * V[At(seq[r], t) + kvh * headDim + d];
                    output[r * qDim + h * headDim + d] = (float)(acc / sum);
                }
            }
        }
        return output;
    }

    /// <summary>RoPE (no freq factors) of x [rows, heads * headDim] with row r at position pos[r], in double.</summary>
    public static float[] Rope(float[] x, int[] pos, int heads, int headDim, RopeParameters rope)
    {
        int cols = heads * headDim, half = headDim / 2;
        var y = (float[])x.Clone();
        float thetaScale = MathF.Pow(rope.Theta, -2.0f / headDim);
        for (int r = 0; r < pos.Length; r++)
        for (int h = 0; h < heads; h++)
        for (int i = 0; i < half; i++)
        {
            double angle = pos[r] * Math.Pow(thetaScale, i) / rope.Scale;
            int a = r * cols + h * headDim + (rope.Layout == RopeLayout.HalfSplit ? i : 2 * i);
            int b = rope.Layout == RopeLayout.HalfSplit ? a + half : a + 1;
            double x0 = x[a], x1 = x[b];
            y[a] = (float)(x0 * Math.Cos(angle) - x1 * Math.Sin(angle));
            y[b] = (float)(x0 * Math.Sin(angle) + x1 * Math.Cos(angle));
        }
        return y;
    }
}
