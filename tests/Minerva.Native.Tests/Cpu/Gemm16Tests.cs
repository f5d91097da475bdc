// Repack16 + Gemm16 (Q4_0 and Q8_0 in 16-row groups) through the backend's MatMul: bit-identical to the scalar reference
// (MatMulReference, i.e. QuantTraits.VecDotReference per row and token) for every token count, so a batch and
// token-by-token decoding agree; quants at the extremes (-8/7 nibbles, +-127, -128 weights) cannot saturate the int16 sums.
using Minerva.Native.Backends.Cpu;
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Quantization;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Cpu;

public unsafe class Gemm16Tests
{
    private static CpuBackend _backend = null!;

    [OneTimeSetUp] public static void Start() => _backend = new CpuBackend(threads: 3);
    [OneTimeTearDown] public static void Stop() => _backend.Dispose();

    private static TestWeight Weight(Random rng, GgmlType type, int rows, int cols, bool extreme)
    {
        var traits = QuantRegistry.Get(type);
        long rowBytes = GgmlTypes.RowBytes(type, cols);
        var data = new NativeArray<byte>(rowBytes * rows);
        var row = new float[cols];
        for (int j = 0; j < rows; j++)
        {
            for (int k = 0; k < cols; k++) row[k] = (float)(rng.NextDouble() * 2 - 1);
            var blocks = new Span<byte>(data.Pointer + j * rowBytes, (int)rowBytes);
            traits.Quantize(row, blocks);
            if (extreme)
                for (long o = 0; o < rowBytes; o += type == GgmlType.Q4_0 ? 18 : 34)
                    // every quant at its most negative value: 0x00 nibbles (-8) or -128
                    new Span<byte>(data.Pointer + j * rowBytes + o + 2, type == GgmlType.Q4_0 ? 16 : 32).Fill(type == GgmlType.Q4_0 ? (byte)0 : (byte)0x80);
        }
        return new TestWeight(new WeightTensor($"test.{type}", type, [cols, rows], data.Pointer, rowBytes * rows), data);
    }

    [Test]
    public void MatMulEqualsTheScalarReferenceBitForBit(
        [Values(GgmlType.Q4_0, GgmlType.Q8_0)] GgmlType type, [Values(1, 3, 4, 5, 9, 33)] int tokens, [Values(32, 96, 2048)] int cols)
    {
        if (!Gemm16.IsSupported) Assert.Ignore("Gemm16 needs AVX-512 BW");
        const int rows = 48;
        var rng = new Random((int)type * 1000 + tokens * 10 + cols);
        using var tw = Weight(rng, type, rows, cols, extreme: false);
        using var w = _backend.Load(tw.Tensor);
        Assert.That(((CpuWeight)w).Repacks, Is.True);
        using var x = (CpuTensor)_backend.Allocate(tokens, cols);
        using var y = (CpuTensor)_backend.Allocate(tokens, rows);
        x.Rows = tokens;
        for (int i = 0; i < tokens * cols; i++) x.Data[i] = (float)(rng.NextDouble() * 2 - 1) * (i % 7 == 0 ? 30 : 1);
        var expected = new float[tokens * rows];
        fixed (float* e = expected) MatMulReference.Run(x.Data, tokens, cols, tw.Tensor.Data, type, rows, e);

        _backend.MatMul(x, w, y);

        for (int r = 0; r < tokens; r++)
            for (int j = 0; j < rows; j++)
                Assert.That(BitConverter.SingleToInt32Bits(y.Row(r)[j]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected[r * rows + j])),
                    $"{type} [{r}, {j}]: {y.Row(r)[j]} vs {expected[r * rows + j]}");
    }

    [Test]
    public void ExtremeQuantsDoNotSaturate([Values(GgmlType.Q4_0, GgmlType.Q8_0)] GgmlType type)
    {
        if (!Gemm16.IsSupported) Assert.Ignore("Gemm16 needs AVX-512 BW");
        const int rows = 16, cols = 256, tokens = 5;
        var rng = new Random(7);
        using var tw = Weight(rng, type, rows, cols, extreme: true);
        using var w = _backend.Load(tw.Tensor);
        using var x = (CpuTensor)_backend.Allocate(tokens, cols);
        using var y = (CpuTensor)_backend.Allocate(tokens, rows);
        x.Rows = tokens;
        // activations quantize to -127 / +127 (all one sign per token, alternating per token)
        for (int r = 0; r < tokens; r++)
            for (int k = 0; k < cols; k++) x.Row(r)[k] = r % 2 == 0 ? 1f : -1f;
        var expected = new float[tokens * rows];
        fixed (float* e = expected) MatMulReference.Run(x.Data, tokens, cols, tw.Tensor.Data, type, rows, e);

        _backend.MatMul(x, w, y);

        for (int r = 0; r < tokens; r++)
            Assert.That(y.RowSpan(r).ToArray(), Is.EqualTo(expected.AsSpan(r * rows, rows).ToArray()), $"{type} token {r}");
    }

    [Test]
    public void RowsThatAreNotAMultipleOf16KeepTheMappedKernels()
    {
        var rng = new Random(3);
        using var tw = Weight(rng, GgmlType.Q4_0, 24, 64, extreme: false);
        using var w = _backend.Load(tw.Tensor);
        Assert.That(((CpuWeight)w).Repacks, Is.False);
    }
}
