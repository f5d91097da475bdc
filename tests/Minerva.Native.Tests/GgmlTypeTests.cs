using Minerva.Native.Tensors;

namespace Minerva.Native.Tests;

public class GgmlTypeTests
{
    // Block geometry from ggml-common.h (sizeof(block_*)).
    [TestCase(GgmlType.Q4_0, 32, 18)]
    [TestCase(GgmlType.Q8_0, 32, 34)]
    [TestCase(GgmlType.Q4_K, 256, 144)]
    [TestCase(GgmlType.Q6_K, 256, 210)]
    [TestCase(GgmlType.Q8_K, 256, 292)]
    [TestCase(GgmlType.IQ4_XS, 256, 136)]
    public void BlockGeometryMatchesGgml(GgmlType type, int block, int bytes)
    {
        var info = GgmlTypes.Info(type);
        Assert.That((info.BlockSize, info.BytesPerBlock), Is.EqualTo((block, bytes)));
    }

    [Test]
    public void RowBytesRejectsPartialBlocks() =>
        Assert.Throws<ArgumentException>(() => GgmlTypes.RowBytes(GgmlType.Q4_0, 33));
}
