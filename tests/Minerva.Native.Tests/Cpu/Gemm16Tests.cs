// Repack16 + Gemm16 (Q4_0, Q8_0) and Gemm16K (Q4_K, Q6_K) in 16-row groups through the backend's MatMul. Q4_0/Q8_0 are
// bit-identical to the scalar reference (MatMulReference, i.e. QuantTraits.VecDotReference per row and token); the K-quants
// sum a super-block exactly in int32 where the reference rounds 8 fp32 lanes, so they agree within MatMulQuantTests' bound;
// every type gives the same bits for a token alone as in a batch; quants at their largest cannot saturate the int16 sums.
using Minerva.Native.Backends.Cpu;
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Quantization;
using Minerva.Native.Execution;
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
                for (long o = 0; o < rowBytes; o += GgmlTypes.Info(type).BytesPerBlock)
                    ExtremeQuants(type, data.Pointer + j * rowBytes + o);
        }
        return new TestWeight(new WeightTensor($"test.{type}", type, [cols, rows], data.Pointer, rowBytes * rows), data);
    }

    /// <summary>Every quant of a block at its largest unsigned value in the kernels' terms (the most int16 headroom used).</summary>
    private static void ExtremeQuants(GgmlType type, byte* block)
    {
        switch (type)
        {
            case GgmlType.Q4_0: new Span<byte>(block + 2, 16).Fill(0xFF); break;      // nibble 15 (+7)
            case GgmlType.Q8_0: new Span<byte>(block + 2, 32).Fill(0x7F); break;      // +127, 255 after + 128
            case GgmlType.Q4_K: new Span<byte>(block + 16, 128).Fill(0xFF); break;    // nibble 15
            default: new Span<byte>(block, 192).Fill(0xFF); break;                   // Q6_K: 63 (+31)
        }
    }

    private static float[] Run(CpuBackend backend, IBackendWeight w, float* x, int tokens, int cols, int rows)
    {
        using var input = (CpuTensor)backend.Allocate(tokens, cols);
        using var y = (CpuTensor)backend.Allocate(tokens, rows);
        input.Rows = tokens;
        new ReadOnlySpan<float>(x, tokens * cols).CopyTo(new Span<float>(input.Data, tokens * cols));
        backend.MatMul(input, w, y);
        return new ReadOnlySpan<float>(y.Data, tokens * rows).ToArray();
    }

    [Test]
    public void KQuantsMatchTheReferenceAndAreTheSameAloneAsInABatch(
        [Values(GgmlType.Q4_K, GgmlType.Q6_K)] GgmlType type, [Values(1, 4, 5, 9)] int tokens, [Values(256, 768, 2048)] int cols)
    {
        if (!Gemm16.IsSupported) Assert.Ignore("Gemm16K needs AVX-512 BW");
        const int rows = 32;
        var rng = new Random((int)type * 1000 + tokens * 10 + cols);
        using var tw = Weight(rng, type, rows, cols, extreme: false);
        var traits = QuantRegistry.Get(type);
        var dequantized = new float[rows * cols];
        for (int j = 0; j < rows; j++) traits.Dequantize(tw.Tensor.Row(j), dequantized.AsSpan(j * cols, cols));
        using var w = _backend.Load(tw.Tensor);
        Assert.That(((CpuWeight)w).Repacks, Is.True);
        var x = new float[tokens * cols];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * (i % 7 == 0 ? 30 : 1);
        var expected = new float[tokens * rows];
        fixed (float* xp = x)
        fixed (float* e = expected)
        {
            MatMulReference.Run(xp, tokens, cols, tw.Tensor.Data, type, rows, e);
            var batch = Run(_backend, w, xp, tokens, cols, rows);
            for (int r = 0; r < tokens; r++)
            {
                var alone = Run(_backend, w, xp + r * cols, 1, cols, rows);
                for (int j = 0; j < rows; j++)
                {
                    Assert.That(BitConverter.SingleToInt32Bits(batch[r * rows + j]), Is.EqualTo(BitConverter.SingleToInt32Bits(alone[j])), $"{type} [{r}, {j}] batch vs alone");
                    double mag = 0;
                    for (int k = 0; k < cols; k++) mag += Math.Abs((double)dequantized[j * cols + k] * x[r * cols + k]);
                    Assert.That(batch[r * rows + j], Is.EqualTo(e[r * rows + j]).Within(4e-6 * mag + 1e-12), $"{type} [{r}, {j}] vs reference");
                }
            }
        }
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
    public void ExtremeQuantsDoNotSaturate([Values(GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K)] GgmlType type)
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

        bool exact = type is GgmlType.Q4_0 or GgmlType.Q8_0;
        for (int r = 0; r < tokens; r++)
            for (int j = 0; j < rows; j++)
            {
                float e = expected[r * rows + j];
                Assert.That(y.Row(r)[j], exact ? Is.EqualTo(e) : Is.EqualTo(e).Within(1e-5 * Math.Abs(e)), $"{type} [{r}, {j}]");
            }
    }

    [Test]
    public void FloatPanelsSumEachOutputInColumnOrderForAnyTokenCount(
        [Values(GgmlType.F16)] GgmlType type, [Values(48, 64, 80)] int rows, [Values(1, 3, 4, 5, 9, 33)] int tokens,
        [Values(1, 67, 2048)] int cols)
    {
        if (!Repack16.Supports(type, rows, cols)) Assert.Ignore("Gemm16F needs the AVX-512 tier");
        var rng = new Random((int)type * 1000 + rows + tokens * 10 + cols);
        using var tw = CpuTestData.Weight(rng, type, rows, cols);
        using var w = _backend.Load(tw.Tensor);
        Assert.That(((CpuWeight)w).Repacks, Is.True);
        var x = new float[tokens * cols];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        fixed (float* xp = x)
        {
            var batch = Run(_backend, w, xp, tokens, cols, rows);
            for (int r = 0; r < tokens; r++)
            {
                var alone = Run(_backend, w, xp + r * cols, 1, cols, rows);
                for (int j = 0; j < rows; j++)
                {
                    // the activation rounded to the weight type as ggml does, then one fp32 FMA per column in order
                    float expected = 0;
                    for (int k = 0; k < cols; k++)
                    {
                        float a = type == GgmlType.F16 ? (float)(Half)x[r * cols + k] : HalfConvert.BF16ToF32(HalfConvert.F32ToBF16(x[r * cols + k]));
                        expected = MathF.FusedMultiplyAdd(CpuTestData.WeightValue(tw.Tensor, (long)j * cols + k), a, expected);
                    }
                    Assert.That(BitConverter.SingleToInt32Bits(batch[r * rows + j]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)), $"{type} [{r}, {j}] batch");
                    Assert.That(BitConverter.SingleToInt32Bits(alone[j]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)), $"{type} [{r}, {j}] alone");
                }
            }
        }
    }

    [Test]
    public void PrepareMatMulRepacksAtLoadAndTheResultIsTheSame()
    {
        if (!Repack16.Supports(GgmlType.Q4_0, 32, 64)) Assert.Ignore("Repack16 needs the AVX-512 tier");
        var rng = new Random(11);
        using var tw = Weight(rng, GgmlType.Q4_0, 32, 64, extreme: false);
        using var lazy = _backend.Load(tw.Tensor);
        using var eager = _backend.Load(tw.Tensor);
        _backend.PrepareMatMul(eager);
        Assert.That(((CpuWeight)eager).IsRepacked, Is.True);
        Assert.That(((CpuWeight)lazy).IsRepacked, Is.False);
        var x = new float[3 * 64];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        fixed (float* xp = x)
            Assert.That(Run(_backend, eager, xp, 3, 64, 32), Is.EqualTo(Run(_backend, lazy, xp, 3, 64, 32)));
        Assert.That(((CpuWeight)lazy).IsRepacked, Is.True);
    }

    [Test]
    public void Bf16PanelsGiveTheMappedRowsDotBitForBitForAnyTokenCount(
        [Values(16, 48, 80)] int rows, [Values(1, 2, 4, 5, 9, 33)] int tokens, [Values(64, 640, 2048)] int cols)
    {
        if (!Repack16.Supports(GgmlType.BF16, rows, cols)) Assert.Ignore("Gemm16F needs the AVX-512 tier");
        var rng = new Random(rows + tokens * 10 + cols);
        using var tw = CpuTestData.Weight(rng, GgmlType.BF16, rows, cols);
        using var w = _backend.Load(tw.Tensor);
        _backend.PrepareMatMul(w);
        Assert.That(((CpuWeight)w).IsRepacked, Is.True);
        var x = new float[tokens * cols];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * (i % 7 == 0 ? 1e4f : 1f);
        var a = new float[cols];
        fixed (float* xp = x)
        fixed (float* ap = a)
        {
            var batch = Run(_backend, w, xp, tokens, cols, rows);
            for (int r = 0; r < tokens; r++)
            {
                var alone = Run(_backend, w, xp + r * cols, 1, cols, rows);
                // the activation rounded to BF16 as ggml does, then Dot.Run over the file's own row: its four 16-lane
                // accumulators and final sum (ggml_vec_dot_bf16's AVX-512 order; LogitsVsLlamaCppTests hold it to llama.cpp)
                for (int k = 0; k < cols; k++) a[k] = HalfConvert.BF16ToF32(HalfConvert.F32ToBF16(x[r * cols + k]));
                for (int j = 0; j < rows; j++)
                {
                    float expected = Dot.BF16((ushort*)(tw.Tensor.Data + j * tw.Tensor.RowBytes), ap, cols);
                    Assert.That(BitConverter.SingleToInt32Bits(batch[r * rows + j]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)), $"[{r}, {j}] batch");
                    Assert.That(BitConverter.SingleToInt32Bits(alone[j]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)), $"[{r}, {j}] alone");
                }
            }
        }
    }

    [Test]
    public void Bf16WithoutWhole64ColumnStepsKeepsTheMappedKernels()
    {
        using var tw = CpuTestData.Weight(new Random(5), GgmlType.BF16, 64, 96);
        using var w = _backend.Load(tw.Tensor);
        Assert.That(((CpuWeight)w).Repacks, Is.False);
    }

    [Test]
    public void RowsThatAreNotAMultipleOf16KeepTheMappedKernels()
    {
        var rng = new Random(3);
        using var tw = Weight(rng, GgmlType.Q4_0, 24, 64, extreme: false);
        using var w = _backend.Load(tw.Tensor);
        Assert.That(((CpuWeight)w).Repacks, Is.False);
    }

    [Test]
    public void VectorActivationPreparationEqualsTheScalarReferenceByteForByte(
        [Values(GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K)] GgmlType type)
    {
        if (!Gemm16.IsSupported) Assert.Ignore("Gemm16 needs AVX-512 BW");
        const int cols = 2048;
        var rng = new Random((int)type);
        var x = new float[cols];
        for (int k = 0; k < cols; k++) x[k] = (float)(rng.NextDouble() * 2 - 1) * (k % 7 == 0 ? 30 : 1);
        // 256-column blocks with edge cases: all zero; ties (the largest magnitude 127 makes the scale 1, so x.5 values
        // round half away from zero (Q8_0) or half to even (Q8_K)); the largest magnitude twice, opposite signs (the first
        // sets Q8_K's sign); tiny values
        new Span<float>(x, 256, 256).Clear();
        for (int k = 512; k < 768; k++) x[k] = k % 32 == 0 ? 127f : (k % 9 - 4) + 0.5f;
        for (int k = 768; k < 1024; k++) x[k] = (float)(rng.NextDouble() * 2 - 1);
        x[800] = -3f; x[900] = 3f;
        for (int k = 1024; k < 1280; k++) x[k] = (float)(rng.NextDouble() * 1e-30);
        long rowBytes = Repack16.ActivationRowBytes(type, cols);
        var vector = new byte[rowBytes];
        var reference = new byte[rowBytes];
        var staging = new byte[cols / 32 * 34 + cols / 256 * 292];
        fixed (float* xp = x)
        fixed (byte* v = vector, r = reference, st = staging)
        {
            Repack16.PrepareRow(type, xp, cols, v);
            if (Repack16.IsKQuant(type)) Gemm16K.PrepareRowReference(xp, cols, type, st, r);
            else Gemm16.PrepareRowReference(xp, cols, type, st, r);
        }
        Assert.That(vector, Is.EqualTo(reference));
    }

    [Test]
    public void F16PanelsGiveTheExactProductsAtTheEdgesOfTheFormat([Values(1, 3, 12)] int tokens, [Values(false, true)] bool nonFinite)
    {
        const int rows = 32, cols = 96;
        if (!Repack16.Supports(GgmlType.F16, rows, cols)) Assert.Ignore("Gemm16F needs the AVX-512 tier");
        var rng = new Random(tokens * 2 + (nonFinite ? 1 : 0));
        // every F16 class: zeros of both signs, subnormals, the smallest and largest normals, random values; with
        // nonFinite an infinity and a NaN too, which keep the exact widening
        ushort[] edges = [0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x83FF, 0x0400, 0x8400, 0x7BFF, 0xFBFF, 0x3C00, 0xBC00];
        using var tw = CpuTestData.Weight(rng, GgmlType.F16, rows, cols);
        var bits = (ushort*)tw.Tensor.Data;
        for (int i = 0; i < rows * cols; i += 3) bits[i] = edges[i / 3 % edges.Length];
        if (nonFinite) { bits[5] = 0x7C00; bits[cols + 7] = 0x7E01; }
        using var w = _backend.Load(tw.Tensor);
        _backend.PrepareMatMul(w);
        Assert.That(((CpuWeight)w).F16Scaled, Is.EqualTo(!nonFinite), "the fast widening is used exactly when the weight is finite");
        var x = new float[tokens * cols];
        for (int i = 0; i < x.Length; i++)
            x[i] = (i % 11) switch { 0 => 65504f, 1 => -6e-8f, 2 => 1e-30f, 3 => 70000f, _ => (float)(rng.NextDouble() * 2 - 1) * 100 };
        fixed (float* xp = x)
        {
            var y = Run(_backend, w, xp, tokens, cols, rows);
            for (int r = 0; r < tokens; r++)
                for (int j = 0; j < rows; j++)
                {
                    float expected = 0;
                    for (int k = 0; k < cols; k++)
                        expected = MathF.FusedMultiplyAdd(CpuTestData.WeightValue(tw.Tensor, (long)j * cols + k), (float)(Half)x[r * cols + k], expected);
                    Assert.That(BitConverter.SingleToInt32Bits(y[r * rows + j]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)),
                        $"[{r}, {j}]: {y[r * rows + j]} vs {expected}");
                }
        }
    }
}
