// Backend MatMul and Embed on every quantized registry type: activations quantized once per call to the type's
// activation type, then the registry vec-dot; checked against the scalar reference and against FP64 over dequantized weights.
using Minerva.Native.Backends.Cpu;
using Minerva.Native.Backends.Cpu.Kernels;
using Minerva.Native.Model;
using Minerva.Native.Quantization;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Cpu;

public unsafe class MatMulQuantTests
{
    private static CpuBackend _backend = null!;

    [OneTimeSetUp] public static void Start() => _backend = new CpuBackend(threads: 3);
    [OneTimeTearDown] public static void Stop() => _backend.Dispose();

    private static IEnumerable<GgmlType> QuantizedTypes() =>
        QuantRegistry.All.Select(t => t.Type).Where(t => GgmlTypes.Info(t).IsQuantized).OrderBy(t => t);

    private static TestWeight Quantized(Random rng, GgmlType type, int rows, int cols, out float[] dequantized)
    {
        var traits = QuantRegistry.Get(type);
        long rowBytes = GgmlTypes.RowBytes(type, cols);
        var data = new NativeArray<byte>(rowBytes * rows);
        dequantized = new float[rows * cols];
        var row = new float[cols];
        for (int j = 0; j < rows; j++)
        {
            for (int k = 0; k < cols; k++) row[k] = (float)(rng.NextDouble() * 2 - 1);
            var blocks = new Span<byte>(data.Pointer + j * rowBytes, (int)rowBytes);
            traits.Quantize(row, blocks);
            traits.Dequantize(blocks, dequantized.AsSpan(j * cols, cols));
        }
        return new TestWeight(new WeightTensor($"test.{type}", type, [cols, rows], data.Pointer, rowBytes * rows), data);
    }

    [Test]
    public void QuantizedMatMulMatchesReference([ValueSource(nameof(QuantizedTypes))] GgmlType type, [Values(1, 7, 33)] int tokens)
    {
        const int rows = 37;
        int block = GgmlTypes.Info(type).BlockSize, cols = block == 256 ? 512 : 3 * block;
        var rng = new Random((int)type * 100 + tokens);
        using var tw = Quantized(rng, type, rows, cols, out var dequantized);
        using var w = _backend.Load(tw.Tensor);
        using var x = (CpuTensor)_backend.Allocate(33, cols);
        using var y = (CpuTensor)_backend.Allocate(33, rows);
        x.Rows = tokens;
        for (int i = 0; i < tokens * cols; i++) x.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        var expected = new float[tokens * rows];
        fixed (float* e = expected) MatMulReference.Run(x.Data, tokens, cols, tw.Tensor.Data, type, rows, e);

        _backend.MatMul(x, w, y);

        for (int r = 0; r < tokens; r++)
            for (int j = 0; j < rows; j++)
            {
                double exact = 0, mag = 0;
                for (int k = 0; k < cols; k++)
                {
                    double p = (double)dequantized[j * cols + k] * x.Row(r)[k];
                    exact += p;
                    mag += Math.Abs(p);
                }
                float actual = y.Row(r)[j];
                Assert.That(actual, Is.EqualTo(expected[r * rows + j]).Within(4e-6 * mag + 1e-12), $"{type} [{r}, {j}] vs reference");
                // Activation quantization to 8 bits: the error is a small fraction of sum |w x|.
                Assert.That(actual, Is.EqualTo(exact).Within(0.02 * mag + 1e-6), $"{type} [{r}, {j}] vs FP64");
            }
    }

    [Test]
    public void EmbedDequantizesQuantizedRows([ValueSource(nameof(QuantizedTypes))] GgmlType type)
    {
        int cols = GgmlTypes.Info(type).BlockSize * 2;
        var rng = new Random((int)type);
        using var tw = Quantized(rng, type, 9, cols, out var dequantized);
        using var table = _backend.Load(tw.Tensor);
        using var y = (CpuTensor)_backend.Allocate(2, cols);
        _backend.SetInput([8, 2], 0);
        _backend.Embed(table, y);
        Assert.That(y.RowSpan(0).ToArray(), Is.EqualTo(dequantized.AsSpan(8 * cols, cols).ToArray()));
        Assert.That(y.RowSpan(1).ToArray(), Is.EqualTo(dequantized.AsSpan(2 * cols, cols).ToArray()));
    }
}
