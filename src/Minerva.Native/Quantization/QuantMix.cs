// Which ggml type each tensor gets for a target file type: llama.cpp's llama_tensor_get_type rules (llama-quant.cpp)
// for the Llama architecture, including the _M mixes and the fallbacks for rows that are not a multiple of 256.
using Minerva.Native.Tensors;

namespace Minerva.Native.Quantization;

/// <summary>A target file type as `quantize --type` names it: a base type plus llama.cpp's per-tensor mix rules.</summary>
public sealed record QuantMix(string Name, GgmlType BaseType, uint LlamaFileType)
{
    public static IReadOnlyList<QuantMix> All { get; } =
    [
        new("f32", GgmlType.F32, 0), new("f16", GgmlType.F16, 1), new("bf16", GgmlType.BF16, 32),
        new("q4_0", GgmlType.Q4_0, 2), new("q4_1", GgmlType.Q4_1, 3), new("q5_0", GgmlType.Q5_0, 8), new("q5_1", GgmlType.Q5_1, 9),
        new("q8_0", GgmlType.Q8_0, 7), new("q2_k", GgmlType.Q2_K, 10), new("q3_k_m", GgmlType.Q3_K, 12),
        new("q4_k_m", GgmlType.Q4_K, 15), new("q5_k_m", GgmlType.Q5_K, 17), new("q6_k", GgmlType.Q6_K, 18),
    ];

    public static QuantMix Parse(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown type '{name}' (one of: {string.Join(", ", All.Select(m => m.Name))})");

    /// <summary>
    /// The type for one tensor. <paramref name="name"/> is the GGUF name (blk.N.attn_v.weight ...), <paramref name="dims"/>
    /// its ggml dims; <paramref name="layers"/> the block count; <paramref name="gqa"/> heads / KV heads;
    /// <paramref name="hasOutput"/> false when the output projection is tied to the token embedding.
    /// </summary>
    public GgmlType TypeFor(string name, long[] dims, int layers, int gqa, bool hasOutput)
    {
        // Vectors (norms, biases) stay F32; so does anything the float types do not touch.
        if (dims.Length < 2 || !name.EndsWith(".weight", StringComparison.Ordinal)) return GgmlType.F32;
        var type = BaseType;
        if (!GgmlTypes.Info(type).IsQuantized) return type;

        int layer = LayerOf(name);
        bool isOutput = name == "output.weight" || (!hasOutput && name == "token_embd.weight");
        if (isOutput)
            return dims[0] % 256 != 0 || type == GgmlType.Q8_0 ? GgmlType.Q8_0 : GgmlType.Q6_K;
        else if (name.Contains("attn_v.weight", StringComparison.Ordinal))
        {
            type = Name switch
            {
                "q2_k" => gqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K,
                "q3_k_m" => layer < 2 ? GgmlType.Q5_K : GgmlType.Q4_K,
                "q4_k_m" or "q5_k_m" when UseMoreBits(layer, layers) => GgmlType.Q6_K,
                _ => type,
            };
        }
        else if (name.Contains("ffn_down", StringComparison.Ordinal))
        {
            type = Name switch
            {
                "q2_k" => GgmlType.Q3_K,
                "q3_k_m" => layer < layers / 16 ? GgmlType.Q5_K : GgmlType.Q4_K,
                "q4_k_m" or "q5_k_m" when UseMoreBits(layer, layers) => GgmlType.Q6_K,
                _ => type,
            };
        }
        else if (name.Contains("attn_output.weight", StringComparison.Ordinal))
        {
            type = Name switch { "q2_k" => GgmlType.Q3_K, "q3_k_m" => GgmlType.Q4_K, _ => type };
        }
        return Fallback(type, dims[0]);
    }

    /// <summary>llama.cpp's use_more_bits: the first and last eighth of the layers and every third one in between.</summary>
    public static bool UseMoreBits(int layer, int layers) =>
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;

    // K-quants need rows that are a multiple of 256; llama.cpp falls back to a 32-block type of similar size.
    private static GgmlType Fallback(GgmlType type, long rowLength)
    {
        if (rowLength % GgmlTypes.Info(type).BlockSize == 0) return type;
        var fallback = type switch
        {
            GgmlType.Q2_K or GgmlType.Q3_K => GgmlType.Q4_0,
            GgmlType.Q4_K => GgmlType.Q5_0,
            GgmlType.Q5_K => GgmlType.Q5_1,
            GgmlType.Q6_K => GgmlType.Q8_0,
            _ => type,
        };
        return rowLength % GgmlTypes.Info(fallback).BlockSize == 0 ? fallback : GgmlType.F16;
    }

    private static int LayerOf(string name)
    {
        if (!name.StartsWith("blk.", StringComparison.Ordinal)) return -1;
        int end = name.IndexOf('.', 4);
        return end > 4 && int.TryParse(name.AsSpan(4, end - 4), out int n) ? n : -1;
    }
}
