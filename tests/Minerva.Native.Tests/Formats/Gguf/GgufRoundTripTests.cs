// GGUF writer -> reader -> writer: values, tensor layout (checked against hand-assembled bytes) and byte-identical rewrites.
using Minerva.Native.Formats;
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Formats.Gguf;

public class GgufRoundTripTests
{
    private string _dir = null!;

    [SetUp] public void SetUp() => _dir = TestPaths.NewScratch("gguf");
    [TearDown] public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void WriterMatchesHandAssembledLayout()
    {
        // One u32 key and two F32 tensors of 2 and 3 floats: infos, zero padding to 32, data padded to 32 each.
        var w = new GgufWriter();
        w.AddMetadata("a", 7u);
        w.AddTensor("t", GgmlType.F32, [2]);
        w.AddTensor("u", GgmlType.F32, [3]);
        using var ms = new MemoryStream();
        w.Write(ms, i => Enumerable.Range(1, 4 * (i + 2)).Select(b => (byte)b).ToArray());

        var expected = new RawGguf().Header(2, 1).KvU32("a", 7)
            .Tensor("t", GgmlType.F32, [2], 0, out _, out _)
            .Tensor("u", GgmlType.F32, [3], 32, out _, out _)
            .PadTo(32).Bytes(Enumerable.Range(1, 8).Select(b => (byte)b).ToArray()).PadTo(32)
            .Bytes(Enumerable.Range(1, 12).Select(b => (byte)b).ToArray()).PadTo(32);
        Assert.That(ms.ToArray(), Is.EqualTo(expected.ToArray()));
    }

    [TestCase(3u, null)]
    [TestCase(2u, null)]
    [TestCase(3u, 64u)]
    [TestCase(3u, 1u)]
    public void EveryValueTypeAndTensorRoundTrips(uint version, uint? alignment)
    {
        var writer = GgufTestFiles.SampleWriter(version, alignment);
        byte[] bytes = GgufTestFiles.WriteToBytes(writer);
        string path = GgufTestFiles.WriteTemp(_dir, "sample.gguf", bytes);
        using var file = GgufFile.Open(path);
        int align = (int)(alignment ?? 32);

        Assert.Multiple(() =>
        {
            Assert.That(file.Version, Is.EqualTo(version));
            Assert.That(file.Alignment, Is.EqualTo(align));
            Assert.That(file.DataOffset % align, Is.Zero);
            Assert.That(file.DataOffset - file.HeaderSize, Is.InRange(0, align - 1));
            Assert.That(file.Metadata.Select(e => e.Key), Is.EqualTo(writer.Metadata.Select(e => e.Key)));
            Assert.That(file.Metadata.Select(e => e.Value), Is.EqualTo(writer.Metadata.Select(e => e.Value)));
            Assert.That(file.Tensors.Select(t => (t.Name, t.Type, t.Offset, t.ByteSize)),
                Is.EqualTo(writer.Tensors.Select(t => (t.Name, t.Type, t.Offset, t.ByteSize))));
            Assert.That(file.Tensors.Select(t => t.Dims), Is.EqualTo(writer.Tensors.Select(t => t.Dims)));
            Assert.That(file.Tensors.Select(t => t.Offset % align), Is.All.Zero);
            Assert.That(bytes.Length % align, Is.Zero);
        });
        foreach (var t in file.Tensors)
            Assert.That(file.TensorSpan(t).ToArray(), Is.EqualTo(GgufTestFiles.TensorBytes(t)), t.Name);

        var copy = GgufWriter.FromFile(file);
        using var ms = new MemoryStream();
        copy.Write(ms, copy.CopyDataFrom(file));
        GgufTestFiles.AssertSameBytes(ms.ToArray(), bytes, "write -> read -> write");
    }

    [Test]
    public void TypedGettersReadEveryType()
    {
        string path = GgufTestFiles.WriteTemp(_dir, "sample.gguf", GgufTestFiles.WriteToBytes(GgufTestFiles.SampleWriter()));
        using var f = GgufFile.Open(path);
        Assert.Multiple(() =>
        {
            Assert.That(f.GetString("t.str"), Is.EqualTo("h\u00e9llo \u2581w\U0001F600"));
            Assert.That(f.GetString("t.empty_str"), Is.Empty);
            Assert.That(f.GetUInt32("t.u32"), Is.EqualTo(4000000000u));
            Assert.That(f.GetUInt32("t.i32_as_u32"), Is.EqualTo(7u), "i32 read as u32");
            Assert.That(f.GetUInt32("t.u8"), Is.EqualTo(200u), "u8 read as u32");
            Assert.That(f.GetInt32("t.i8"), Is.EqualTo(-100));
            Assert.That(f.GetInt32("t.u16"), Is.EqualTo(60000));
            Assert.That(f.GetInt32("t.i16"), Is.EqualTo(-30000));
            Assert.That(f.GetUInt64("t.u64"), Is.EqualTo(ulong.MaxValue));
            Assert.That(f.Metadata.GetInt64("t.i64"), Is.EqualTo(long.MinValue));
            Assert.That(f.GetFloat32("t.f32"), Is.EqualTo(1e-5f));
            Assert.That(f.GetFloat32("t.f64"), Is.EqualTo((float)Math.PI));
            Assert.That(f.GetBool("t.bool"), Is.True);
            Assert.That(f.GetStringArray("a.str"), Is.EqualTo(new[] { "a", "", "\u2581b", "<0x0A>" }));
            Assert.That(f.GetStringArray("a.empty_str"), Is.Empty);
            Assert.That(f.GetFloat32Array("a.empty_f32"), Is.Empty);
            Assert.That(f.GetInt32Array("a.i32"), Is.EqualTo(new[] { -1, 0, int.MaxValue }));
            Assert.That(f.GetInt32Array("a.u8"), Is.EqualTo(new[] { 1, 2, 255 }), "u8 array read as i32");
            Assert.That(f.GetFloat32Array("a.f64"), Is.EqualTo(new[] { 1.5f, (float)double.Epsilon }));
            Assert.That(f.GetArray("a.bool").As<bool>(), Is.EqualTo(new[] { true, false, true }));
            Assert.That(f.GetArray("a.u64").As<ulong>(), Is.EqualTo(new[] { ulong.MaxValue, 0UL }));
            var nested = f.GetArray("a.nested").As<GgufArray>();
            Assert.That(nested, Has.Length.EqualTo(3));
            Assert.That(nested[0].As<int>(), Is.EqualTo(new[] { 1, 2 }));
            Assert.That(nested[1].Count, Is.Zero);
            Assert.That(nested[2].As<GgufArray>()[0].As<string>(), Is.EqualTo(new[] { "x", "" }));
            Assert.That(f.GetArray("a.f32").As<float>()[2], Is.NaN);
        });
        Assert.Multiple(() =>
        {
            Assert.Throws<ModelFormatException>(() => f.GetUInt32("t.i8"), "negative as u32");
            Assert.Throws<ModelFormatException>(() => f.GetInt32("t.u32"), "4e9 as i32");
            Assert.Throws<ModelFormatException>(() => f.GetInt32Array("a.u32"), "u32 max as i32");
            Assert.Throws<ModelFormatException>(() => f.GetString("t.u8"));
            Assert.Throws<ModelFormatException>(() => f.GetBool("t.u8"));
            Assert.Throws<ModelFormatException>(() => f.TryGetFloat32("t.str", out _), "present but wrong type");
            Assert.That(f.TryGetFloat32("absent", out _), Is.False);
        });
    }

    [Test]
    public unsafe void TensorDataPointsIntoTheMappingWithoutCopy()
    {
        byte[] bytes = GgufTestFiles.WriteToBytes(GgufTestFiles.SampleWriter());
        string path = GgufTestFiles.WriteTemp(_dir, "sample.gguf", bytes);
        using var file = GgufFile.Open(path);
        byte* start = file.BasePointer;
        foreach (var t in file.Tensors)
        {
            byte* p = file.TensorData(t);
            Assert.That((nint)p, Is.EqualTo((nint)(start + file.DataOffset + t.Offset)), t.Name);
            Assert.That((nint)(p + t.ByteSize), Is.LessThanOrEqualTo((nint)(start + file.FileSize)), t.Name);
            fixed (byte* s = file.TensorSpan(t))
                Assert.That((nint)s, Is.EqualTo((nint)p), "span is over the mapping");
            Assert.That(new ReadOnlySpan<byte>(p, (int)t.ByteSize).ToArray(),
                Is.EqualTo(bytes.AsSpan((int)(file.DataOffset + t.Offset), (int)t.ByteSize).ToArray()));
        }
        Assert.That(file.FindTensor("odd.f16")!.Index, Is.EqualTo(2));
        Assert.That(file.FindTensor("missing"), Is.Null);
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.TensorData(file.Tensors[0]));
    }

    [Test]
    public unsafe void TensorsBeyondTwoGigabytesAreAddressable()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("needs sparse files (NTFS would zero-fill 5 GiB)");
        // A sparse file of 5 GiB of data: an I8 tensor of 2 GiB, then an F32 tensor of [2^28, 3] (3 GiB).
        byte[] header = new RawGguf().Header(2, 0)
            .Tensor("first", GgmlType.I8, [1UL << 31], 0, out _, out _)
            .Tensor("second", GgmlType.F32, [1UL << 28, 3], 1UL << 31, out _, out _).PadTo(32).ToArray();
        string path = Path.Combine(_dir, "sparse.gguf");
        using (var fs = new FileStream(path, FileMode.Create))
        {
            fs.Write(header);
            fs.SetLength(header.Length + (5L << 30));
            fs.Position = fs.Length - 1;
            fs.WriteByte(0x7F);
        }
        using var file = GgufFile.Open(path);
        var big = file.FindTensor("second")!;
        Assert.Multiple(() =>
        {
            Assert.That(file.DataOffset, Is.EqualTo(header.Length));
            Assert.That(big.ByteSize, Is.EqualTo(3L << 30));
            Assert.That(file.TensorData(big)[big.ByteSize - 1], Is.EqualTo(0x7F));
            Assert.That(file.TensorData(big)[0], Is.Zero);
            Assert.Throws<InvalidOperationException>(() => file.TensorSpan(big));
        });
    }

    [Test]
    public void VocabularyFileRewritesIdentically()
    {
        string vocab = TestPaths.SharedTestData("tokenizer", "ggml-vocab-llama-spm.gguf");
        if (!File.Exists(vocab)) Assert.Ignore($"{vocab} not present");
        using var file = GgufFile.Open(vocab);
        Assert.That(file.GetStringArray("tokenizer.ggml.tokens"), Has.Length.EqualTo(32000));
        var writer = GgufWriter.FromFile(file);
        using var ms = new MemoryStream();
        writer.Write(ms, writer.CopyDataFrom(file));
        GgufTestFiles.AssertSameBytes(ms.ToArray(), File.ReadAllBytes(vocab), "rewritten vocabulary");
    }

    [Test]
    public void StreamingWriterChecksEachTensorsSize()
    {
        var w = new GgufWriter();
        w.AddTensor("t", GgmlType.Q8_0, [32, 2]);
        using var ms = new MemoryStream();
        Assert.Throws<InvalidOperationException>(() => w.Write(ms, (i, s) => s.Write(new byte[67])));
        ms.SetLength(0);
        long n = w.Write(ms, (i, s) => { s.Write(new byte[34]); s.Write(new byte[34]); }); // one block-row at a time
        Assert.That(n, Is.EqualTo(ms.Length));
    }

    [Test]
    public void WriterRejectsInvalidInput()
    {
        var w = new GgufWriter();
        w.AddMetadata("k", 1u);
        w.AddTensor("t", GgmlType.F32, [4]);
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => w.AddMetadata("k", 2u));
            Assert.Throws<ArgumentException>(() => w.AddTensor("t", GgmlType.F32, [4]));
            Assert.Throws<ArgumentException>(() => w.AddTensor("q", GgmlType.Q4_0, [33]));
            Assert.Throws<ArgumentException>(() => w.AddTensor("z", GgmlType.F32, [0]));
            Assert.Throws<ArgumentException>(() => w.AddTensor("five", GgmlType.F32, [1, 1, 1, 1, 1]));
            Assert.Throws<ArgumentException>(() => w.AddTensor(new string('n', 64), GgmlType.F32, [1]));
            Assert.Throws<ArgumentException>(() => w.AddTensor("u", (GgmlType)99, [1]));
            Assert.Throws<InvalidOperationException>(() => w.AddMetadata("general.alignment", 64u));
            Assert.Throws<ArgumentException>(() => new GgufWriter().AddMetadata("general.alignment", 48u));
            Assert.Throws<ArgumentException>(() => new GgufWriter().AddMetadata("general.alignment", 64));
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = new GgufWriter(1));
        });
    }
}
