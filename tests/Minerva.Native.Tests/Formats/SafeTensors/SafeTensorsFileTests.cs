// Reader and writer of safetensors files against golden bytes produced by the huggingface/safetensors crate.
using System.Buffers.Binary;
using System.Text;
using Minerva.Native.Formats.SafeTensors;
using static Minerva.Native.Tests.Formats.SafeTensors.SafeTensorsTestFiles;

namespace Minerva.Native.Tests.Formats.SafeTensors;

public sealed class SafeTensorsFileTests
{
    private string _dir = "";

    [SetUp] public void SetUp() => _dir = TestPaths.NewScratch("safetensors");
    [TearDown] public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static readonly byte[] F32Data = [0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64];

    // Expected files as the Rust crate serialises them (its serialize() golden tests): length, JSON, spaces, data.
    private static byte[] Golden(string json, int spaces, byte[] data)
    {
        byte[] j = Encoding.ASCII.GetBytes(json + new string(' ', spaces));
        var bytes = new byte[8 + j.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)j.Length);
        j.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + j.Length);
        return bytes;
    }

    [Test]
    public void WriterMatchesCrateGoldenBytes()
    {
        var one = new SafeTensorsWriter().Add("attn.0", SafeTensorDType.F32, [1, 2, 3], F32Data);
        Assert.That(Bytes(one), Is.EqualTo(Golden("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", 0, F32Data)));

        var padded = new SafeTensorsWriter().Add("attn0", SafeTensorDType.F32, [1, 1, 2, 3], F32Data);
        Assert.That(Bytes(padded), Is.EqualTo(Golden("{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}", 7, F32Data)));

        var f4 = new SafeTensorsWriter().Add("attn.0", SafeTensorDType.F4, [1, 2], new byte[] { 0 });
        Assert.That(Bytes(f4), Is.EqualTo(Golden("{\"attn.0\":{\"dtype\":\"F4\",\"shape\":[1,2],\"data_offsets\":[0,1]}}", 4, [0])));

        Assert.That(Bytes(new SafeTensorsWriter()), Is.EqualTo(Golden("{}", 6, [])));
        var meta = new SafeTensorsWriter().AddMetadata("framework", "pt");
        Assert.That(Bytes(meta), Is.EqualTo(Golden("{\"__metadata__\":{\"framework\":\"pt\"}}", 5, [])));
    }

    [Test]
    public void ReadsGoldenFile()
    {
        string path = Save(_dir, "g.safetensors", Golden("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", 0, F32Data));
        using var f = SafeTensorsFile.Open(path);
        Assert.That(f.HeaderLength, Is.EqualTo(64));
        Assert.That(f.DataStart, Is.EqualTo(72));
        var t = f.Tensors.Single();
        Assert.That((t.Name, t.DType, t.Begin, t.End, t.ByteSize), Is.EqualTo(("attn.0", SafeTensorDType.F32, 0L, 24L, 24L)));
        Assert.That(t.Shape, Is.EqualTo(new long[] { 1, 2, 3 }));
        Assert.That(f.TensorSpan(t).ToArray(), Is.EqualTo(F32Data));
        Assert.That(f.Metadata, Is.Empty);
        unsafe { Assert.That(*(float*)(f.TensorData(t) + 4), Is.EqualTo(1f)); }
    }

    [Test]
    public void WriteReadWriteIsByteIdentical()
    {
        var rng = new Random(7);
        var w = new SafeTensorsWriter().AddMetadata("format", "pt").AddMetadata("odd \"key\"\n\u0001é", "välue\\");
        byte[] RandomBytes(int n) { var b = new byte[n]; rng.NextBytes(b); return b; }
        w.Add("model.embed_tokens.weight", SafeTensorDType.BF16, [5, 3], RandomBytes(30));
        w.Add("scalar", SafeTensorDType.F64, [], RandomBytes(8));
        w.Add("empty", SafeTensorDType.F16, [4, 0], ReadOnlyMemory<byte>.Empty);
        w.Add("streamed", SafeTensorDType.I32, [3, 2], s => { for (int i = 0; i < 6; i++) s.Write(BitConverter.GetBytes(i * 7)); });
        w.Add("名前", SafeTensorDType.U8, [3], RandomBytes(3));
        string first = Path.Combine(_dir, "a.safetensors");
        w.Write(first);

        using var f = SafeTensorsFile.Open(first);
        Assert.That(f.Tensors.Select(t => t.Name), Is.EqualTo(new[] { "model.embed_tokens.weight", "scalar", "empty", "streamed", "名前" }));
        Assert.That(f.Metadata.Keys, Is.EqualTo(new[] { "format", "odd \"key\"\n\u0001é" }));
        Assert.That(f.Metadata["odd \"key\"\n\u0001é"], Is.EqualTo("välue\\"));
        Assert.That(f.DataStart % 8, Is.Zero);
        var streamed = f.GetTensor("streamed");
        Assert.That(BitConverter.ToInt32(f.TensorSpan(streamed)[20..]), Is.EqualTo(35));

        var again = new SafeTensorsWriter();
        foreach (var (k, v) in f.Metadata) again.AddMetadata(k, v);
        foreach (var t in f.Tensors) again.Add(t.Name, t.DType, t.Shape, f.TensorSpan(t).ToArray());
        string second = Path.Combine(_dir, "b.safetensors");
        again.Write(second);
        Assert.That(File.ReadAllBytes(second), Is.EqualTo(File.ReadAllBytes(first)));
    }

    // Bits per element from the safetensors spec (Dtype::bitsize), written out independently of the library table.
    private static readonly (string Name, int Bits)[] SpecDTypes =
    [
        ("BOOL", 8), ("F4", 4), ("F6_E2M3", 6), ("F6_E3M2", 6), ("U8", 8), ("I8", 8), ("F8_E5M2", 8), ("F8_E4M3", 8),
        ("F8_E8M0", 8), ("I16", 16), ("U16", 16), ("F16", 16), ("BF16", 16), ("I32", 32), ("U32", 32), ("F32", 32),
        ("C64", 64), ("F64", 64), ("I64", 64), ("U64", 64),
    ];

    [Test]
    public void EveryDTypeIsRecognised()
    {
        Assert.That(SafeTensorDTypes.Values, Has.Count.EqualTo(SpecDTypes.Length));
        var json = new StringBuilder("{");
        long offset = 0;
        foreach (var (name, bits) in SpecDTypes)
        {
            long bytes = 8 * bits / 8;
            json.Append($"\"t_{name}\":{{\"dtype\":\"{name}\",\"shape\":[2,4],\"data_offsets\":[{offset},{offset + bytes}]}},");
            offset += bytes;
        }
        json.Length--;
        json.Append('}');
        string path = Save(_dir, "all.safetensors", Raw(json.ToString(), (int)offset));
        using var f = SafeTensorsFile.Open(path);
        foreach (var (name, bits) in SpecDTypes)
        {
            var t = f.GetTensor("t_" + name);
            Assert.That(t.DType.Name(), Is.EqualTo(name));
            Assert.That(t.DType.BitSize(), Is.EqualTo(bits));
            Assert.That(t.DType.IsComputable(), Is.EqualTo(name is "F32" or "F16" or "BF16"));
        }
    }

    [TestCase("{}", 0, 0)]
    [TestCase("\t\n{} \r", 0, 0)]
    [TestCase("{\"__metadata__\":null,\"a\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, 1)]
    [TestCase("{\"a\":{\"dtype\":\"I32\",\"shape\":[2,0],\"data_offsets\":[0, 0]}}", 0, 1)]
    [TestCase("{\"a\":{\"extra\":{\"x\":[1,[2]]},\"data_offsets\":[0,2],\"shape\":[1],\"dtype\":\"F16\"}}", 2, 1)]
    [TestCase("{\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[3,5]},\"a\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]}}", 5, 2)]
    [TestCase("{\"z\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},\"y\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0, 2)]
    public void AcceptsValidEdgeCases(string json, int dataBytes, int tensors)
    {
        string path = Save(_dir, "ok.safetensors", Raw(json, dataBytes));
        using var f = SafeTensorsFile.Open(path);
        Assert.That(f.Tensors, Has.Count.EqualTo(tensors));
        CheckInvariants(f);
    }

    [Test]
    public void KeepsFileOrderAndLooksUpByName()
    {
        string path = Save(_dir, "o.safetensors", Raw(
            "{\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[3,5]},\"a\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]}}", 5));
        using var f = SafeTensorsFile.Open(path);
        Assert.That(f.Tensors.Select(t => t.Name), Is.EqualTo(new[] { "b", "a" }));
        Assert.That(f.TensorSpan(f.GetTensor("b")).ToArray(), Is.EqualTo(new byte[] { 3, 4 }));
        Assert.That(f.TryGetTensor("c", out _), Is.False);
    }

    [Test]
    public void WriterRejectsBadInput()
    {
        var w = new SafeTensorsWriter().Add("a", SafeTensorDType.U8, [1], new byte[1]);
        Assert.Throws<ArgumentException>(() => w.Add("a", SafeTensorDType.U8, [1], new byte[1]));
        Assert.Throws<ArgumentException>(() => w.Add("__metadata__", SafeTensorDType.U8, [1], new byte[1]));
        Assert.Throws<ArgumentException>(() => w.Add("b", SafeTensorDType.F32, [2], new byte[4]));
        Assert.Throws<ArgumentException>(() => w.Add("c", SafeTensorDType.F4, [3], new byte[2]));
        Assert.Throws<ArgumentException>(() => w.Add("d", SafeTensorDType.U8, [-1], new byte[0]));
        Assert.Throws<ArgumentException>(() => w.Add("e\ud800", SafeTensorDType.U8, [1], new byte[1]));
        var shortWriter = new SafeTensorsWriter().Add("s", SafeTensorDType.F32, [2], s => s.Write(new byte[7]));
        Assert.Throws<InvalidOperationException>(() => shortWriter.Write(new MemoryStream()));
    }

    private static byte[] Bytes(SafeTensorsWriter w)
    {
        var ms = new MemoryStream();
        w.Write(ms);
        return ms.ToArray();
    }
}
