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
        var expected = x.Span.ToArray().Select(v => (float)(Half)v).ToArray();
        HalfConvert.RoundToF16(x.Pointer, n);
        Assert.That(x.Span.ToArray(), Is.EqualTo(expected));
        Assert.That(x.GuardsIntact());
    }

    /// <summary>Floats around every F16 boundary (each F16 value, the midpoints to its neighbours, one ulp either side of
    /// both), signed zeros, F32 subnormals, overflow, infinities, NaNs with payloads, and random bit patterns.</summary>
    private static float[] NarrowingCases()
    {
        var cases = new List<float>();
        for (int h = 0; h < 0x7c00; h++)
        {
            float f = (float)BitConverter.UInt16BitsToHalf((ushort)h);
            double next = (double)(float)BitConverter.UInt16BitsToHalf((ushort)(h + 1));
            float mid = (float)((f + next) / 2);      // exact: F16 midpoints fit in F32
            uint fb = BitConverter.SingleToUInt32Bits(f), mb = BitConverter.SingleToUInt32Bits(mid);
            foreach (uint b in new[] { fb, fb + 1, mb - 1, mb, mb + 1 }) { cases.Add(BitConverter.UInt32BitsToSingle(b)); cases.Add(-BitConverter.UInt32BitsToSingle(b)); }
        }
        cases.AddRange([65504f, 65519.99f, 65520f, 70000f, float.MaxValue, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, -float.Epsilon,
            BitConverter.UInt32BitsToSingle(0x7fc00000), BitConverter.UInt32BitsToSingle(0xff812345), BitConverter.UInt32BitsToSingle(0x7f800001), BitConverter.UInt32BitsToSingle(0x7fbfe000)]);
        var rng = new Random(3);
        for (int i = 0; i < 200_000; i++) cases.Add(BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32)));
        while (cases.Count % 16 != 0) cases.Add(1f);
        return cases.ToArray();
    }

    [Test]
    public void VectorF16NarrowingMatchesHalfAtEveryBoundary()
    {
        if (SimdSupport.Available == SimdTier.Scalar) Assert.Ignore("no AVX2");
        var cases = NarrowingCases();
        var out8 = stackalloc uint[8];
        var out16 = stackalloc uint[16];
        fixed (float* c = cases)
            for (int i = 0; i < cases.Length; i += 16)
            {
                HalfConvert.ToF16Bits(Vector256.Load(c + i).AsUInt32()).Store(out8);
                for (int l = 0; l < 8; l++) Assert.That(out8[l], Is.EqualTo(BitConverter.HalfToUInt16Bits((Half)cases[i + l])), $"8 lanes: 0x{BitConverter.SingleToUInt32Bits(cases[i + l]):x8}");
                if (SimdSupport.Available != SimdTier.Avx512) continue;
                HalfConvert.ToF16Bits(Vector512.Load(c + i).AsUInt32()).Store(out16);
                for (int l = 0; l < 16; l++) Assert.That(out16[l], Is.EqualTo(BitConverter.HalfToUInt16Bits((Half)cases[i + l])), $"16 lanes: 0x{BitConverter.SingleToUInt32Bits(cases[i + l]):x8}");
            }
        // the row forms at this machine's tier: narrowing, and rounding in place
        using var x = new NativeArray<float>(cases.Length + 5);
        using var h = new NativeArray<ushort>(cases.Length + 5);
        cases.CopyTo(x.Span);
        HalfConvert.F32ToF16(x.Pointer, h.Pointer, (int)x.Length);
        for (int i = 0; i < x.Length; i++) Assert.That(h[i], Is.EqualTo(BitConverter.HalfToUInt16Bits((Half)x[i])), $"row: 0x{BitConverter.SingleToUInt32Bits(x[i]):x8}");
        var expected = x.Span.ToArray().Select(v => (float)(Half)v).ToArray();
        HalfConvert.RoundToF16(x.Pointer, (int)x.Length);
        for (int i = 0; i < x.Length; i++)
            if (float.IsNaN(expected[i])) Assert.That(float.IsNaN(x[i]), $"round: NaN at {i}");
            else Assert.That(BitConverter.SingleToUInt32Bits(x[i]), Is.EqualTo(BitConverter.SingleToUInt32Bits(expected[i])), $"round: {expected[i]} at {i}");
        Assert.That(x.GuardsIntact() && h.GuardsIntact());
    }

    [Test]
    public void F16WideningOfARowMatchesHalfForAllBitPatterns()
    {
        using var h = new NativeArray<ushort>(65536 + 7);
        using var f = new NativeArray<float>(65536 + 7);
        for (int i = 0; i < h.Length; i++) h[i] = (ushort)i;
        HalfConvert.F16ToF32(h.Pointer, f.Pointer, (int)h.Length);
        for (int i = 0; i < h.Length; i++) AssertSameFloat((float)BitConverter.UInt16BitsToHalf(h[i]), f[i], h[i]);
        Assert.That(h.GuardsIntact() && f.GuardsIntact());
    }

    [Test]
    public void RoundToBF16OfARowMatchesTheScalarRounding()
    {
        var cases = NarrowingCases();
        using var x = new NativeArray<float>(cases.Length + 5);
        cases.CopyTo(x.Span);
        var expected = x.Span.ToArray().Select(v => HalfConvert.BF16ToF32(HalfConvert.F32ToBF16(v))).ToArray();
        HalfConvert.RoundToBF16(x.Pointer, (int)x.Length);
        for (int i = 0; i < x.Length; i++)
            Assert.That(BitConverter.SingleToUInt32Bits(x[i]), Is.EqualTo(BitConverter.SingleToUInt32Bits(expected[i])),
                $"0x{BitConverter.SingleToUInt32Bits(x.Span.ToArray()[i]):x8} at {i}");
        Assert.That(x.GuardsIntact());
    }
}
