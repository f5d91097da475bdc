// Our quantizers, dequantizers and reference vec-dots against llama.cpp's own ggml (noavx build, generic C paths).
using Minerva.Native.Quantization;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Quantization;

public class QuantVsGgmlTests
{
    private static readonly GgmlType[] Legacy = [GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0];
    private static readonly GgmlType[] KQuants = [GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K];
    private static readonly GgmlType[] AllTypes =
        [GgmlType.F32, GgmlType.F16, GgmlType.BF16, .. Legacy, GgmlType.Q8_1, .. KQuants, GgmlType.Q8_K];

    private const int Rows = 3, PerRow = 1024;

    [OneTimeSetUp]
    public void Setup() => GgmlNative.Require();

    private static byte[] Ours(GgmlType t, float[] x)
    {
        var dst = new byte[GgmlTypes.RowBytes(t, x.Length)];
        QuantRegistry.Get(t).Quantize(x, dst);
        return dst;
    }

    private static byte[] Theirs(GgmlType t, float[] x)
    {
        var dst = new byte[GgmlTypes.RowBytes(t, x.Length)];
        if (t is GgmlType.Q8_1 or GgmlType.Q8_K) GgmlNative.QuantizeRowRef(t, x, dst);
        else GgmlNative.QuantizeChunk(t, x, dst, Rows, PerRow);
        return dst;
    }

    [Test]
    public void Fp16ToFp32IsBitIdenticalToGgmlForEveryHalf()
    {
        var halves = new byte[65536 * 2];
        for (int h = 0; h < 65536; h++) BitConverter.TryWriteBytes(halves.AsSpan(2 * h), (ushort)h);
        var theirs = new float[65536];
        GgmlNative.ToFloat(GgmlType.F16, halves, theirs);
        int mismatches = 0;
        for (int h = 0; h < 65536; h++)
            if (BitConverter.SingleToUInt32Bits(QuantMathProxy.Fp16ToFp32((ushort)h)) != BitConverter.SingleToUInt32Bits(theirs[h])) mismatches++;
        Assert.That(mismatches, Is.Zero, "halves whose F32 bits differ from ggml_fp16_to_fp32_row (NaNs included)");
    }

    [TestCaseSource(nameof(ExactTypes))]
    public void QuantizeIsByteIdenticalToGgml(GgmlType t)
    {
        Assert.Multiple(() =>
        {
            foreach (var kind in QuantTestData.Kinds)
            {
                var x = QuantTestData.Rows(kind, Rows, PerRow, seed: 11 + (int)t);
                Assert.That(Ours(t, x), Is.EqualTo(Theirs(t, x)), $"{t} {kind}");
            }
        });
    }

    private static IEnumerable<GgmlType> ExactTypes() => [GgmlType.F16, GgmlType.BF16, .. Legacy, GgmlType.Q8_1, GgmlType.Q8_K];

    [TestCaseSource(nameof(KTypes))]
    public void KQuantsMatchGgmlBytesOrRmse(GgmlType t)
    {
        var info = GgmlTypes.Info(t);
        int blocks = 0, identical = 0;
        Assert.Multiple(() =>
        {
            foreach (var kind in QuantTestData.Kinds)
            {
                var x = QuantTestData.Rows(kind, Rows, PerRow, seed: 23 + (int)t);
                byte[] ours = Ours(t, x), theirs = Theirs(t, x);
                for (int b = 0; b < ours.Length / info.BytesPerBlock; b++)
                {
                    blocks++;
                    if (ours.AsSpan(b * info.BytesPerBlock, info.BytesPerBlock).SequenceEqual(theirs.AsSpan(b * info.BytesPerBlock, info.BytesPerBlock)))
                        identical++;
                }
                var yo = new float[x.Length]; var yt = new float[x.Length];
                QuantRegistry.Get(t).Dequantize(ours, yo);
                QuantRegistry.Get(t).Dequantize(theirs, yt);
                double ro = QuantTestData.Rmse(x, yo), rt = QuantTestData.Rmse(x, yt);
                Assert.That(ro, Is.LessThanOrEqualTo(1.05 * rt + 1e-30), $"{t} {kind}: rmse ours {ro:g4} ggml {rt:g4}");
            }
        });
        TestContext.Out.WriteLine($"{t}: {identical}/{blocks} blocks byte-identical to ggml");
        Assert.That(identical, Is.EqualTo(blocks), $"{t}: {identical}/{blocks} blocks byte-identical");
    }

    private static IEnumerable<GgmlType> KTypes() => KQuants;

    /// <summary>ggml's to_float of our blocks, and of random bit patterns, equals our dequantize bit for bit.</summary>
    [TestCaseSource(nameof(DequantTypes))]
    public void DequantizeIsBitIdenticalToGgml(GgmlType t)
    {
        var info = GgmlTypes.Info(t);
        var x = QuantTestData.Rows("outliers", Rows, PerRow, seed: 5);
        var fuzz = new byte[GgmlTypes.RowBytes(t, x.Length)];
        new Random(7 + (int)t).NextBytes(fuzz);
        SanitizeHalfScales(t, fuzz, info.BytesPerBlock);
        foreach (var blocks in new[] { Ours(t, x), fuzz })
        {
            var ours = new float[x.Length]; var theirs = new float[x.Length];
            QuantRegistry.Get(t).Dequantize(blocks, ours);
            GgmlNative.ToFloat(t, blocks, theirs);
            Assert.That(ours.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(theirs.Select(BitConverter.SingleToInt32Bits)), $"{t}");
        }
    }

    private static IEnumerable<GgmlType> DequantTypes() => [GgmlType.F16, GgmlType.BF16, .. Legacy, .. KQuants, GgmlType.Q8_K];

    // Random fp16 scales may be inf/NaN; keep them finite so the comparison tests unpacking, not NaN payloads.
    private static void SanitizeHalfScales(GgmlType t, byte[] blocks, int bpb)
    {
        int[] offsets = t switch
        {
            GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 => [0],
            GgmlType.Q4_1 or GgmlType.Q5_1 or GgmlType.Q4_K or GgmlType.Q5_K => [0, 2],
            GgmlType.Q2_K => [80, 82],
            GgmlType.Q3_K => [108],
            GgmlType.Q6_K => [208],
            GgmlType.Q8_K => [],
            _ => [],
        };
        for (int b = 0; b < blocks.Length / bpb; b++)
        {
            foreach (int o in offsets) blocks[b * bpb + o + 1] &= 0x3F; // clear the top exponent bit
            if (t == GgmlType.Q8_K) BitConverter.TryWriteBytes(blocks.AsSpan(b * bpb, 4), 0.001f * (b + 1));
        }
        if (t is GgmlType.F16)
            for (int i = 1; i < blocks.Length; i += 2) blocks[i] &= 0x3F;
        if (t is GgmlType.BF16)
            for (int i = 1; i < blocks.Length; i += 2) blocks[i] &= 0x3F;
    }

    /// <summary>Our scalar vec-dot equals ggml's generic vec-dot (bit for bit for the quantized types).</summary>
    [TestCaseSource(nameof(DotTypes))]
    public void VecDotReferenceMatchesGgml(GgmlType t)
    {
        var traits = QuantRegistry.Get(t);
        var act = QuantRegistry.Get(traits.ActivationType);
        Assert.Multiple(() =>
        {
            foreach (var kind in QuantTestData.Kinds)
            {
                var w = QuantTestData.Rows(kind, 1, PerRow, seed: 31 + (int)t);
                var a = QuantTestData.Rows("gaussian", 1, PerRow, seed: 37);
                byte[] wq = Ours(t, w), aq = new byte[GgmlTypes.RowBytes(traits.ActivationType, PerRow)];
                act.Quantize(a, aq);
                float ours = traits.VecDotReference(wq, aq, PerRow);
                float theirs = GgmlNative.VecDot(t, traits.ActivationType, wq, aq, PerRow);
                if (GgmlTypes.Info(t).IsQuantized)
                    Assert.That(BitConverter.SingleToInt32Bits(ours), Is.EqualTo(BitConverter.SingleToInt32Bits(theirs)), $"{t} {kind}: {ours} vs {theirs}");
                else
                    Assert.That(ours, Is.EqualTo(theirs).Within(1e-5).Percent, $"{t} {kind}");
            }
        });
    }

    private static IEnumerable<GgmlType> DotTypes() => [GgmlType.F32, GgmlType.F16, GgmlType.BF16, .. Legacy, .. KQuants];

    [Test]
    public void HalfAndBFloatRoundingMatchesGgml()
    {
        var r = new Random(3);
        var values = new List<float> { 0f, -0f, 65504f, 65520f, 65519.99f, -65536f, 6.1035156e-05f, 5.9604645e-08f, 2.9802322e-08f, 2.98023259e-08f, 1e-10f, float.PositiveInfinity, float.NegativeInfinity, 1.00048828125f, 1.00146484375f };
        for (int i = 0; i < 200_000; i++)
        {
            // random bit patterns over the finite range, plus exact fp16 ties
            values.Add(BitConverter.Int32BitsToSingle(r.Next() & 0x7f7fffff) * (r.Next(2) == 0 ? 1 : -1));
            values.Add((float)(Half)(float)(r.NextDouble() * 100) + BitConverter.Int32BitsToSingle(0x33000000) * (r.Next(3) - 1));
        }
        Assert.Multiple(() =>
        {
            foreach (var v in values)
            {
                Assert.That(BitConverter.HalfToUInt16Bits((Half)v), Is.EqualTo(GgmlNative.Fp32ToFp16(v)), $"fp16 {v:R}");
                Assert.That(QuantMathProxy.Bf16(v), Is.EqualTo(GgmlNative.Fp32ToBf16(v)), $"bf16 {v:R}");
            }
            Assert.That(QuantMathProxy.Bf16(float.NaN) & 0x7fc0, Is.EqualTo(0x7fc0), "bf16 NaN stays a quiet NaN");
        });
    }
}
