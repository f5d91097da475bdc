// Deterministic random weights for a Llama config, addressed element by element (counter-based hash of seed, tensor and
// index), so any row can be produced independently, in parallel, and identically for every output format.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Minerva.Native.Simd;

namespace Minerva.Native.Model;

/// <summary>One weight in Hugging Face layout: <c>Shape</c> is row-major [rows, cols] (or [cols] for a vector).</summary>
internal sealed record SyntheticTensor(string HfName, string GgufName, long Rows, long Cols, int Index, TensorRole Role, int PermuteHeads)
{
    public bool IsVector => Role is TensorRole.Norm or TensorRole.Bias;
    public long[] HfShape => IsVector ? [Cols] : [Rows, Cols];
    /// <summary>ggml dims (innermost first).</summary>
    public long[] GgufDims => IsVector ? [Cols] : [Cols, Rows];
}

internal enum TensorRole { Embedding, Norm, Linear, Output, Bias }

internal static class SyntheticWeights
{
    /// <summary>Every tensor of the model in the order llama.cpp's converter writes GGUF files.</summary>
    public static IReadOnlyList<SyntheticTensor> Tensors(LlamaConfig c)
    {
        var list = new List<SyntheticTensor>();
        void Add(string hf, string gguf, long rows, long cols, TensorRole role, int permuteHeads = 0) =>
            list.Add(new SyntheticTensor(hf, gguf, rows, cols, list.Count, role, permuteHeads));

        Add("model.embed_tokens.weight", "token_embd.weight", c.VocabSize, c.HiddenSize, TensorRole.Embedding);
        for (int l = 0; l < c.Layers; l++)
            foreach (var spec in LayerTensors.All.Where(s => s.InModel(c)))
            {
                var (rows, cols) = spec.Shape(c);
                if (rows == 1 && spec.PermuteHeads(c) > 0)
                    throw new NotSupportedException($"synthetic {c.Architecture} models with permuted Q/K biases are not written; use qwen2");
                var role = rows > 1 ? TensorRole.Linear : spec.HfSuffix.EndsWith(".bias", StringComparison.Ordinal) ? TensorRole.Bias : TensorRole.Norm;
                Add(spec.HfName(l), spec.GgufName(l), rows, cols, role, spec.PermuteHeads(c));
            }
        Add("model.norm.weight", "output_norm.weight", 1, c.HiddenSize, TensorRole.Norm);
        if (!c.TiedEmbeddings) Add("lm_head.weight", "output.weight", c.VocabSize, c.HiddenSize, TensorRole.Output);
        return list;
    }

    /// <summary>Fills one row (Hugging Face row index) of a tensor; 16 values per step where AVX-512 is in use.</summary>
    public static void FillRow(ulong seed, SyntheticTensor t, long row, Span<float> destination) =>
        FillRow(seed, t, row, destination, SimdSupport.Tier == SimdTier.Avx512 && Avx512DQ.IsSupported);

    /// <summary>The scalar reference of <see cref="FillRow(ulong, SyntheticTensor, long, Span{float})"/>.</summary>
    internal static void FillRowReference(ulong seed, SyntheticTensor t, long row, Span<float> destination) =>
        FillRow(seed, t, row, destination, vector: false);

    internal static void FillRow(ulong seed, SyntheticTensor t, long row, Span<float> destination, bool vector)
    {
        ulong stream = Mix(seed ^ ((ulong)t.Index + 1) * 0x9E3779B97F4A7C15UL);
        long start = row * t.Cols;
        // Uniform(-a, a) has standard deviation a/sqrt(3): linear layers keep activations near unit scale, the output
        // layer spreads logits (std ≈ 2.5) so greedy decoding has clear winners, norms sit near 1.
        float a = t.Role switch
        {
            TensorRole.Embedding => 1.0f,
            TensorRole.Norm => 0.2f,
            TensorRole.Bias => 0.5f,
            TensorRole.Linear => MathF.Sqrt(3f / t.Cols),
            _ => 2.5f * MathF.Sqrt(3f / t.Cols),
        };
        float offset = t.Role == TensorRole.Norm ? 1f : 0f;
        int i = 0;
        if (vector)
        {
            // Lane for lane the scalar loop below: (h >> 40) < 2^24 converts exactly, every float op is the same.
            var lanes = Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7);
            for (; i <= destination.Length - 16; i += 16)
            {
                var first = Vector512.Create(stream + (ulong)(start + i)) + lanes;
                var h = Vector512.Narrow(Mix(first) >> 40, Mix(first + Vector512.Create(8UL)) >> 40);
                var u = Vector512.ConvertToSingle(h) * (1f / (1 << 24));
                (Vector512.Create(offset) + (2f * u - Vector512<float>.One) * a).StoreUnsafe(ref destination[i]);
            }
        }
        for (; i < destination.Length; i++)
        {
            ulong h = Mix(stream + (ulong)(start + i));
            float u = (h >> 40) * (1f / (1 << 24));   // [0, 1)
            destination[i] = offset + (2f * u - 1f) * a;
        }
    }

    /// <summary>Hugging Face row feeding GGUF row <paramref name="ggufRow"/>: llama.cpp's converter permutes the Q and K rows
    /// of each head from (half, i) to (i, pair) order so that RoPE rotates adjacent pairs.</summary>
    public static long HfRowForGgufRow(SyntheticTensor t, long ggufRow) =>
        t.PermuteHeads == 0 ? ggufRow : HfRowForGgufRow(ggufRow, t.Rows, t.PermuteHeads);

    /// <summary>llama.cpp's convert permute(): GGUF row (head, i, pair) of a Q or K projection with <paramref name="heads"/>
    /// heads is Hugging Face row (head, pair, i).</summary>
    public static long HfRowForGgufRow(long ggufRow, long rows, int heads)
    {
        long headDim = rows / heads;
        long head = ggufRow / headDim, within = ggufRow % headDim;
        return head * headDim + within % 2 * (headDim / 2) + within / 2;
    }

    // SplitMix64 finaliser.
    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static Vector512<ulong> Mix(Vector512<ulong> z)
    {
        z += Vector512.Create(0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * Vector512.Create(0xBF58476D1CE4E5B9UL);
        z = (z ^ (z >> 27)) * Vector512.Create(0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
