using Minerva.Native.Quantization.KQuants;
using Minerva.Native.Tensors;

namespace Minerva.Native.Quantization;

/// <summary>The traits row of every type the engine can compute with.</summary>
internal static partial class QuantRegistry
{
    private static readonly Dictionary<GgmlType, QuantTraits> Rows = Build();

    public static bool IsSupported(GgmlType type) => Rows.ContainsKey(type);

    public static QuantTraits Get(GgmlType type) =>
        Rows.TryGetValue(type, out var t) ? t : throw new NotSupportedException($"tensor type {GgmlTypes.Info(type).Name} is not supported for compute");

    public static IEnumerable<QuantTraits> All => Rows.Values;

    // Activation pairings are ggml's vec_dot_type (ggml-cpu.c, type_traits_cpu). Q4_K, Q5_K and Q6_K quantize through
    // KQuantFast, byte-identical to their references (which stay reachable as Q4_K.Quantize etc.).
    private static Dictionary<GgmlType, QuantTraits> Build()
    {
        var rows = new Dictionary<GgmlType, QuantTraits>();
        void Add(GgmlType t, GgmlType act, DequantizeRow dq, QuantizeRow q, VecDot reference) =>
            rows[t] = new QuantTraits(t, act, dq, q, reference);

        Add(GgmlType.F32, GgmlType.F32, FloatRows.DequantizeF32, FloatRows.QuantizeF32, FloatRows.VecDotF32);
        Add(GgmlType.F16, GgmlType.F16, FloatRows.DequantizeF16, FloatRows.QuantizeF16, FloatRows.VecDotF16);
        Add(GgmlType.BF16, GgmlType.BF16, FloatRows.DequantizeBF16, FloatRows.QuantizeBF16, FloatRows.VecDotBF16);
        Add(GgmlType.Q4_0, GgmlType.Q8_0, Q4_0.Dequantize, Q4_0.Quantize, Q4_0.VecDot);
        Add(GgmlType.Q4_1, GgmlType.Q8_1, Q4_1.Dequantize, Q4_1.Quantize, Q4_1.VecDot);
        Add(GgmlType.Q5_0, GgmlType.Q8_0, Q5_0.Dequantize, Q5_0.Quantize, Q5_0.VecDot);
        Add(GgmlType.Q5_1, GgmlType.Q8_1, Q5_1.Dequantize, Q5_1.Quantize, Q5_1.VecDot);
        Add(GgmlType.Q8_0, GgmlType.Q8_0, Q8_0.Dequantize, Q8_0.Quantize, Q8_0.VecDot);
        Add(GgmlType.Q8_1, GgmlType.Q8_1, Q8_1.Dequantize, Q8_1.Quantize, Q8_1.VecDot);
        Add(GgmlType.Q2_K, GgmlType.Q8_K, Q2_K.Dequantize, Q2_K.Quantize, Q2_K.VecDot);
        Add(GgmlType.Q3_K, GgmlType.Q8_K, Q3_K.Dequantize, Q3_K.Quantize, Q3_K.VecDot);
        Add(GgmlType.Q4_K, GgmlType.Q8_K, Q4_K.Dequantize, KQuantFast.QuantizeQ4_K, Q4_K.VecDot);
        Add(GgmlType.Q5_K, GgmlType.Q8_K, Q5_K.Dequantize, KQuantFast.QuantizeQ5_K, Q5_K.VecDot);
        Add(GgmlType.Q6_K, GgmlType.Q8_K, Q6_K.Dequantize, KQuantFast.QuantizeQ6_K, Q6_K.VecDot);
        Add(GgmlType.Q8_K, GgmlType.Q8_K, Q8_K.Dequantize, Q8_K.Quantize, Q8_K.VecDot);
        return rows;
    }
}
