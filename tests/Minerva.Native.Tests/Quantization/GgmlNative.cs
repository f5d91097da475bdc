// Test-only bindings to llama.cpp's own ggml (libggml-base.so / libggml-cpu.so shipped by LLamaSharp.Backend.Cpu), the truth the quant tests compare against.
using System.Runtime.InteropServices;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Quantization;

/// <summary>
/// Function pointers into the "noavx" build of ggml: its generic C paths compile without FMA contraction or SIMD
/// reassociation, so they are the bit-exact reference (ggml-quants.c *_ref, dequantize_row_*, ggml_vec_dot_*_generic).
/// </summary>
internal static unsafe class GgmlNative
{
    private static readonly Lazy<(nint Base, nint Cpu)?> Libs = new(Load);

    public static bool Available => Libs.Value is not null;

    public static string NativeDir => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "noavx");

    private static (nint, nint)? Load()
    {
        if (!OperatingSystem.IsLinux()) return null;
        string b = Path.Combine(NativeDir, "libggml-base.so"), c = Path.Combine(NativeDir, "libggml-cpu.so");
        if (!File.Exists(b) || !File.Exists(c)) return null;
        nint hb = NativeLibrary.Load(b), hc = NativeLibrary.Load(c);
        ((delegate* unmanaged<void>)NativeLibrary.GetExport(hc, "ggml_cpu_init"))();
        return (hb, hc);
    }

    public static void Require()
    {
        if (!Available) Assert.Ignore($"llama.cpp native libraries not found in {NativeDir}");
    }

    private static nint Base(string name) => NativeLibrary.GetExport(Libs.Value!.Value.Base, name);
    private static nint Cpu(string name) => NativeLibrary.GetExport(Libs.Value!.Value.Cpu, name);

    public static string Suffix(GgmlType t) => GgmlTypes.Info(t).Name.ToLowerInvariant().Replace("_k", "_K");

    /// <summary>ggml_quantize_chunk(type, src, dst, start, nrows, n_per_row, imatrix = NULL).</summary>
    public static void QuantizeChunk(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst, int rows, int perRow)
    {
        var f = (delegate* unmanaged<int, float*, void*, long, long, long, float*, nuint>)Base("ggml_quantize_chunk");
        fixed (float* s = src) fixed (byte* d = dst) f((int)type, s, d, 0, rows, perRow, null);
    }

    /// <summary>quantize_row_{type}_ref (used for Q8_1 and Q8_K, which ggml_quantize_chunk does not take).</summary>
    public static void QuantizeRowRef(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        var f = (delegate* unmanaged<float*, void*, long, void>)Base($"quantize_row_{Suffix(type)}_ref");
        fixed (float* s = src) fixed (byte* d = dst) f(s, d, src.Length);
    }

    /// <summary>ggml's to_float for the type (dequantize_row_*, ggml_fp16_to_fp32_row, ggml_bf16_to_fp32_row).</summary>
    public static void ToFloat(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        string name = type switch
        {
            GgmlType.F16 => "ggml_fp16_to_fp32_row",
            GgmlType.BF16 => "ggml_bf16_to_fp32_row",
            _ => $"dequantize_row_{Suffix(type)}",
        };
        var f = (delegate* unmanaged<void*, float*, long, void>)Base(name);
        fixed (byte* s = src) fixed (float* d = dst) f(s, d, dst.Length);
    }

    public static ushort Fp32ToFp16(float x) => ((delegate* unmanaged<float, ushort>)Base("ggml_fp32_to_fp16"))(x);

    public static ushort Fp32ToBf16(float x) => ((delegate* unmanaged<float, ushort>)Base("ggml_fp32_to_bf16"))(x);

    /// <summary>The vec-dot ggml's CPU backend pairs with the type: ggml_vec_dot_{w}_{act}_generic, or ggml_vec_dot_f16/bf16/f32.</summary>
    public static float VecDot(GgmlType weight, GgmlType act, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int n)
    {
        string name = weight switch
        {
            GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => $"ggml_vec_dot_{Suffix(weight)}",
            _ => $"ggml_vec_dot_{Suffix(weight)}_{Suffix(act)}_generic",
        };
        var f = (delegate* unmanaged<int, float*, nuint, void*, nuint, void*, nuint, int, void>)Cpu(name);
        float s;
        fixed (byte* px = x) fixed (byte* py = y) f(n, &s, 0, px, 0, py, 0, 1);
        return s;
    }
}
