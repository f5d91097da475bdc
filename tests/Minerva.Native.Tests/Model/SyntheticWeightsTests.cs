// The AVX-512 synthetic-weight generator against its scalar reference, value for value (bit patterns), all roles and odd lengths.
using System.Runtime.Intrinsics.X86;
using Minerva.Native.Model;

namespace Minerva.Native.Tests.Model;

public class SyntheticWeightsTests
{
    [Test]
    public void VectorFillIsBitIdenticalToReference()
    {
        if (!Avx512DQ.IsSupported) Assert.Ignore("AVX-512 DQ not available on this CPU");
        int[] lengths = [0, 1, 7, 15, 16, 17, 31, 32, 33, 100, 255, 256, 257, 2048, 5632];
        Assert.Multiple(() =>
        {
            foreach (var role in Enum.GetValues<TensorRole>())
                foreach (int cols in lengths)
                    foreach (long row in new long[] { 0, 1, 5, 31999 })
                    {
                        var t = new SyntheticTensor("hf", "gguf", 32000, cols, 3 + (int)role, role, 0);
                        float[] expected = new float[cols], actual = new float[cols];
                        SyntheticWeights.FillRowReference(20240101, t, row, expected);
                        SyntheticWeights.FillRow(20240101, t, row, actual, vector: true);
                        Assert.That(actual.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(expected.Select(BitConverter.SingleToInt32Bits)),
                            $"{role} cols={cols} row={row}");
                    }
        });
    }
}
