// Hostile and damaged safetensors files: every rejection is one ModelFormatException, nothing hangs, memory stays bounded.
using System.Buffers.Binary;
using System.Text;
using Minerva.Native.Formats;
using Minerva.Native.Formats.SafeTensors;
using static Minerva.Native.Tests.Formats.SafeTensors.SafeTensorsTestFiles;

namespace Minerva.Native.Tests.Formats.SafeTensors;

public sealed class SafeTensorsHostileTests
{
    private string _dir = "";

    [SetUp] public void SetUp() => _dir = TestPaths.NewScratch("safetensors-hostile");
    [TearDown] public void TearDown() => Directory.Delete(_dir, recursive: true);

    private const string A16 = "{\"a\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}";

    [TestCase("[]", 0, "not StartObject")]
    [TestCase("1", 0, "")]
    [TestCase("\"s\"", 0, "")]
    [TestCase("null", 0, "")]
    [TestCase("", 0, "")]
    [TestCase("{", 0, "")]
    [TestCase("{}x", 0, "")]
    [TestCase("{} {}", 0, "")]
    [TestCase("{\"a\":1}", 0, "not an object")]
    [TestCase("{\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "unknown dtype")]
    [TestCase("{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "unknown dtype")]
    [TestCase("{\"a\":{\"dtype\":5,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "not a string")]
    [TestCase("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "no dtype")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "no shape")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "no data_offsets")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "two dtypes")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4, "more than 2")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}}", 4, "not 2")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", 4, "not an array")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "non-negative")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", 4, "non-negative")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", 4, "non-negative")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,1e1]}}", 4, "non-negative")]
    [TestCase("{\"a\":{\"dtype\":\"I32\",\"shape\":[2,18446744073709551614],\"data_offsets\":[0,16]}}", 16, "63-bit")]
    [TestCase("{\"a\":{\"dtype\":\"I32\",\"shape\":[2,9223372036854775807],\"data_offsets\":[0,16]}}", 16, "overflows")]
    [TestCase("{\"a\":{\"dtype\":\"I32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,16]}}", 16, "overflows")]
    [TestCase("{\"a\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,4]}}", 4, "needs 16")]
    [TestCase("{\"a\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 16, "needs 8")]
    [TestCase("{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2, "whole bytes")]
    [TestCase("{\"a\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[16,0]}}", 16, "gap")]
    [TestCase("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4, "gap")]
    [TestCase("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[2,6]}}", 6, "overlaps")]
    [TestCase("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4, "overlaps")]
    [TestCase("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]}}", 6, "gap")]
    [TestCase(A16, 15, "data section holds 15")]
    [TestCase(A16, 40, "data section holds 40")]
    [TestCase("{\"a\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,9223372036854775807]}}", 16, "needs 16")]
    [TestCase("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2, "duplicate tensor")]
    [TestCase("{\"__metadata__\":{\"k\":1}}", 0, "not a string")]
    [TestCase("{\"__metadata__\":[]}", 0, "not an object")]
    [TestCase("{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}}", 0, "duplicate metadata")]
    [TestCase("{\"__metadata__\":{},\"__metadata__\":{}}", 0, "duplicate key")]
    [TestCase("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],}}", 1, "")]
    [TestCase("{/*c*/}", 0, "")]
    [TestCase("{\"\\ud800\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "")]
    public void RejectsBadHeader(string json, int dataBytes, string reasonPart)
    {
        string path = Save(_dir, "bad.safetensors", Raw(json, dataBytes));
        var e = ExpectFormatError(path);
        Assert.That(e.Reason, Does.Contain(reasonPart));
    }

    [Test]
    public void ReportsTheFileOffsetOfTheFault()
    {
        const string json = "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"b\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[1,2]}}";
        var e = ExpectFormatError(Save(_dir, "at.safetensors", Raw(json, 2)));
        Assert.That(e.Offset, Is.EqualTo(8 + json.IndexOf("\"Q4\"", StringComparison.Ordinal)));
        const string dup = "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{}}";
        e = ExpectFormatError(Save(_dir, "dup.safetensors", Raw(dup, 1)));
        Assert.That(e.Offset, Is.EqualTo(8 + dup.LastIndexOf("\"a\"", StringComparison.Ordinal)));
    }

    [Test]
    public void RejectsTooLongRank()
    {
        string shape = string.Join(",", Enumerable.Repeat("1", 65));
        var e = ExpectFormatError(Save(_dir, "rank.safetensors", Raw($"{{\"a\":{{\"dtype\":\"U8\",\"shape\":[{shape}],\"data_offsets\":[0,1]}}}}", 1)));
        Assert.That(e.Reason, Does.Contain("more than 64"));
    }

    [TestCase(ulong.MaxValue, "exceeds")]
    [TestCase(100_000_001UL, "exceeds")]
    [TestCase(0x8000_0000_0000_0000UL, "exceeds")]
    [TestCase(61UL, "runs past")]
    [TestCase(99_999_999UL, "runs past")]
    public void RejectsBadHeaderLength(ulong n, string reasonPart)
    {
        byte[] bytes = Raw("{}", 52);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, n);
        var e = ExpectFormatError(Save(_dir, "len.safetensors", bytes));
        Assert.That(e.Reason, Does.Contain(reasonPart));
        Assert.That(e.Offset, Is.Zero);
    }

    [Test]
    public void RejectsInvalidUtf8AtItsOffset()
    {
        byte[] bytes = Raw("{\"ab\":{}}", 0);
        bytes[8 + 3] = 0xff;
        var e = ExpectFormatError(Save(_dir, "utf8.safetensors", bytes));
        Assert.That(e.Reason, Does.Contain("UTF-8"));
        Assert.That(e.Offset, Is.EqualTo(11));
    }

    [Test]
    public void RejectsShortEmptyMissingAndDirectory()
    {
        ExpectFormatError(Save(_dir, "empty.safetensors", []));
        ExpectFormatError(Save(_dir, "seven.safetensors", new byte[7]));
        ExpectFormatError(Path.Combine(_dir, "missing.safetensors"));
        ExpectFormatError(_dir);
    }

    [TestCase(100_000)]
    [TestCase(5_000_000)]
    public void DeeplyNestedJsonFailsFastWithBoundedMemory(int depth)
    {
        var sb = new StringBuilder("{\"a\":{\"x\":");
        sb.Append('[', depth).Append(']', depth).Append("}}");
        string path = Save(_dir, "deep.safetensors", Raw(sb.ToString(), 0));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = ExpectFormatError(path);
        // bounded work: the parser stops at its depth limit, so it allocates about the file once, never per level
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(2 * depth + (1 << 20)));
        Assert.That(e.Reason, Does.Contain("JSON"));
    }

    [Test]
    public void ManyTensorsHeaderCostsMemoryProportionalToItsSize()
    {
        // 20000 overlapping tensors: rejected after parsing, allocation bounded by a small multiple of the header.
        var sb = new StringBuilder("{");
        for (int i = 0; i < 20000; i++) sb.Append($"\"w{i}\":{{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}},");
        sb.Length--;
        sb.Append('}');
        string path = Save(_dir, "many.safetensors", Raw(sb.ToString(), 16));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = ExpectFormatError(path);
        Assert.That(e.Reason, Does.Contain("overlaps"));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(12L * sb.Length + (1 << 20)));
    }

    [Test]
    public void EveryTruncationIsRejected()
    {
        var w = new SafeTensorsWriter().AddMetadata("format", "pt")
            .Add("a", SafeTensorDType.F16, [2, 3], new byte[12]).Add("b", SafeTensorDType.F32, [3], new byte[12]);
        var ms = new MemoryStream();
        w.Write(ms);
        byte[] full = ms.ToArray();
        string path = Path.Combine(_dir, "trunc.safetensors");
        for (int len = 0; len < full.Length; len++)
        {
            File.WriteAllBytes(path, full.AsSpan(0, len).ToArray());
            ExpectFormatError(path);
        }
        File.WriteAllBytes(path, full);
        Assert.That(TryOpen(path), Is.Null);
    }

    private static Exception? TryParse(byte[] bytes)
    {
        try
        {
            var h = SafeTensorsHeader.Read("mem", bytes, bytes.Length);
            long end = h.Tensors.Count == 0 ? 0 : h.Tensors.Max(t => t.End);
            Assert.That(8 + h.JsonBytes + end, Is.EqualTo(bytes.Length));
            return null;
        }
        catch (Exception e) when (e is not AssertionException)
        {
            return e;
        }
    }

    [Test]
    public void RandomHeaderMutationsOnlyEverRaiseModelFormatException()
    {
        var w = new SafeTensorsWriter().AddMetadata("format", "pt")
            .Add("model.norm.weight", SafeTensorDType.F32, [4], new byte[16])
            .Add("x", SafeTensorDType.BF16, [2, 2], new byte[8])
            .Add("z", SafeTensorDType.F4, [4], new byte[2]);
        var ms = new MemoryStream();
        w.Write(ms);
        byte[] original = ms.ToArray();
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        byte[] interesting = "{}[],:\"0123456789-.e\\ \0\xff"u8.ToArray();
        var rng = new Random(20240601);
        string path = Path.Combine(_dir, "fuzz.safetensors");
        int accepted = 0;
        for (int iter = 0; iter < 3000; iter++)
        {
            byte[] bytes = (byte[])original.Clone();
            int edits = 1 + rng.Next(4);
            for (int k = 0; k < edits; k++)
            {
                int at = rng.Next(headerEnd);
                bytes[at] = rng.Next(3) switch
                {
                    0 => (byte)rng.Next(256),
                    1 => interesting[rng.Next(interesting.Length)],
                    _ => (byte)(bytes[at] ^ (1 << rng.Next(8))),
                };
            }
            // Every mutation goes through the header parser in memory; every tenth also through a mapped file.
            Exception? e = TryParse(bytes);
            if (iter % 10 == 0)
            {
                File.WriteAllBytes(path, bytes);
                Exception? viaFile = TryOpen(path);
                Assert.That(viaFile?.GetType(), Is.EqualTo(e?.GetType()), $"iteration {iter}: {viaFile}");
            }
            if (e is null) accepted++;
            else Assert.That(e, Is.TypeOf<ModelFormatException>(), $"iteration {iter}: {e}");
        }
        Assert.That(accepted, Is.LessThan(3000), "mutations must be detected at least sometimes");
    }
}
