// Every kernel the backend launches, by PTX module and extern "C" name (kernel ABI: op_dtype, DESIGN rule 8).
using Minerva.Native.Tensors;

namespace Minerva.Native.Backends.Cuda;

internal static class Kernels
{
    public static readonly KernelRef RmsNorm = new("rms_norm", "rms_norm_f32");
    public static readonly KernelRef Rope = new("rope", "rope_f32");
    public static readonly KernelRef SiluMul = new("elementwise", "silu_mul_f32");
    public static readonly KernelRef Add = new("elementwise", "add_f32");
    public static readonly KernelRef AddBias = new("elementwise", "add_bias_f32");
    public static readonly KernelRef StoreKv = new("elementwise", "store_kv_f16");
    public static readonly KernelRef AttentionDecode = new("attention", "attention_decode_f32");
    public static readonly KernelRef AttentionCombine = new("attention", "attention_combine_f32");
    public static readonly KernelRef AttentionPrefill = new("attention", "attention_prefill_f32");
    public static readonly KernelRef MatVecF16 = new("matvec_f16", "matvec_f16_f32");
    public static readonly KernelRef MatVecBF16 = new("matvec_f16", "matvec_bf16_f32");
    public static readonly KernelRef MatVecF32 = new("matvec_f16", "matvec_f32_f32");
    public static readonly KernelRef MatVec8F16 = new("matvec_f16", "matvec8_f16_f32");
    public static readonly KernelRef MatVec8BF16 = new("matvec_f16", "matvec8_bf16_f32");
    public static readonly KernelRef MatVec8F32 = new("matvec_f16", "matvec8_f32_f32");
    public static readonly KernelRef GetRowsF32 = new(GetRowsModule, "get_rows_f32_f32");
    public static readonly KernelRef GetRowsF16 = new(GetRowsModule, "get_rows_f16_f32");
    public static readonly KernelRef GetRowsBF16 = new(GetRowsModule, "get_rows_bf16_f32");
    public static readonly KernelRef ConvertF32ToF16 = new("convert", "convert_f32_f16");
    public static readonly KernelRef ConvertF32ToBF16 = new("convert", "convert_f32_bf16");
    public static readonly KernelRef ConvertF16ToF32 = new("convert", "convert_f16_f32");
    public static readonly KernelRef ConvertBF16ToF32 = new("convert", "convert_bf16_f32");

    /// <summary>Quantized-type and sampling kernels: modules dequant.cu, matvec_q.cu, get_rows.cu, sample.cu.</summary>
    public const string DequantModule = "dequant", MatVecQModule = "matvec_q", GetRowsModule = "get_rows", SampleModule = "sample";

    public static readonly KernelRef ArgMax = new(SampleModule, "argmax_f32");
    public static readonly KernelRef SampleTopKTopP = new(SampleModule, "sample_topk_topp_f32");

    /// <summary>The quantized types with device kernels, by their kernel-name suffix.</summary>
    public static readonly IReadOnlyDictionary<GgmlType, string> QuantSuffix = new Dictionary<GgmlType, string>
    {
        [GgmlType.Q4_0] = "q4_0", [GgmlType.Q4_1] = "q4_1", [GgmlType.Q5_0] = "q5_0", [GgmlType.Q5_1] = "q5_1",
        [GgmlType.Q8_0] = "q8_0", [GgmlType.Q2_K] = "q2_k", [GgmlType.Q3_K] = "q3_k", [GgmlType.Q4_K] = "q4_k",
        [GgmlType.Q5_K] = "q5_k", [GgmlType.Q6_K] = "q6_k",
    };

    public static KernelRef Dequantize(GgmlType t) => new(DequantModule, $"dequantize_{Suffix(t)}_f16");
    public static KernelRef MatVecQ(GgmlType t) => new(MatVecQModule, $"matvec_{Suffix(t)}_f32");
    public static KernelRef MatVec8Q(GgmlType t) => new(MatVecQModule, $"matvec8_{Suffix(t)}_f32");
    public static KernelRef GetRowsQ(GgmlType t) => new(GetRowsModule, $"get_rows_{Suffix(t)}_f32");

    private static string Suffix(GgmlType t) =>
        QuantSuffix.TryGetValue(t, out var s) ? s : throw new NotSupportedException($"no CUDA kernels for {GgmlTypes.Info(t).Name}");

    /// <summary>The per-op kernels of rms_norm.cu, rope.cu, attention.cu, elementwise.cu, matvec_f16.cu, get_rows.cu and convert.cu (each an entry point of its module's PTX).</summary>
    public static IEnumerable<KernelRef> Core =>
    [
        RmsNorm, Rope, SiluMul, Add, AddBias, StoreKv, AttentionDecode, AttentionCombine, AttentionPrefill, MatVecF16, MatVecBF16, MatVecF32,
        MatVec8F16, MatVec8BF16, MatVec8F32,
        GetRowsF32, GetRowsF16, GetRowsBF16, ConvertF32ToF16, ConvertF32ToBF16, ConvertF16ToF32, ConvertBF16ToF32,
    ];

    /// <summary>The quantized-type kernels (dequant.cu, matvec_q.cu, get_rows.cu) and the samplers (sample.cu).</summary>
    public static IEnumerable<KernelRef> Quantized =>
        QuantSuffix.Keys.SelectMany(t => new[] { Dequantize(t), MatVecQ(t), MatVec8Q(t), GetRowsQ(t) }).Append(ArgMax).Append(SampleTopKTopP);
}
