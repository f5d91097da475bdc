// The GGUF reader against truncated, mutated and hand-made hostile files: only ModelFormatException, with the offset of the bad field, in bounded time and memory.
using Minerva.Native.Formats;
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Formats.Gguf;

public class GgufHostileInputTests
{
    private const long MaxAllocatedPerOpen = 4 << 20;
    private string _dir = null!;

    // Thousands of small files: on tmpfs when there is one (a disk write costs milliseconds on a loaded machine).
    [SetUp]
    public void SetUp()
    {
        _dir = Directory.Exists("/dev/shm") ? Path.Combine("/dev/shm", $"minerva-gguf-{Guid.NewGuid():N}") : TestPaths.NewScratch("gguf-hostile");
        Directory.CreateDirectory(_dir);
    }

    [TearDown] public void TearDown() => Directory.Delete(_dir, recursive: true);

    /// <summary>Opens the bytes as a file; returns the exception (null on success) and checks it is the only kind allowed.</summary>
    private ModelFormatException? TryOpen(byte[] bytes, string name = "x.gguf")
    {
        string path = GgufTestFiles.WriteTemp(_dir, name, bytes);
        try
        {
            using var f = GgufFile.Open(path);
            return null;
        }
        catch (ModelFormatException e)
        {
            Assert.That(e.FilePath, Is.EqualTo(path));
            Assert.That(e.Offset, Is.InRange(-1L, bytes.Length));
            return e;
        }
    }

    private ModelFormatException Rejects(byte[] bytes, long expectedOffset, string reasonContains)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = TryOpen(bytes);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(e, Is.Not.Null, "file was accepted");
        Assert.Multiple(() =>
        {
            Assert.That(e!.Offset, Is.EqualTo(expectedOffset), e.Message);
            Assert.That(e.Reason, Does.Contain(reasonContains).IgnoreCase, e.Message);
            Assert.That(allocated, Is.LessThan(MaxAllocatedPerOpen), "bytes allocated by one hostile open");
        });
        return e!;
    }

    private static byte[] Tensors(int dataBytes, params (string Name, GgmlType Type, ulong[] Dims, ulong Offset)[] ts) =>
        TensorsWithPositions(dataBytes, out _, out _, ts);

    private static byte[] TensorsWithPositions(int dataBytes, out long[] dimsAt, out long[] offsetAt,
        params (string Name, GgmlType Type, ulong[] Dims, ulong Offset)[] ts)
    {
        var raw = new RawGguf().Header((ulong)ts.Length, 0);
        dimsAt = new long[ts.Length];
        offsetAt = new long[ts.Length];
        for (int i = 0; i < ts.Length; i++)
            raw.Tensor(ts[i].Name, ts[i].Type, ts[i].Dims, ts[i].Offset, out dimsAt[i], out offsetAt[i]);
        return raw.PadTo(32).Zeros(dataBytes).ToArray();
    }

    [Test]
    public void EveryTruncationIsRejectedCleanly()
    {
        byte[] bytes = GgufTestFiles.WriteToBytes(GgufTestFiles.SampleWriter());
        string full = GgufTestFiles.WriteTemp(_dir, "full.gguf", bytes);
        long dataEnd;
        using (var f = GgufFile.Open(full))
            dataEnd = f.DataOffset + f.Tensors.Max(t => t.Offset + t.ByteSize);
        for (int n = 0; n < bytes.Length; n++)
        {
            var e = TryOpen(bytes[..n]);
            // Only the trailing zero padding after the last tensor may be cut.
            Assert.That(e is null, Is.EqualTo(n >= dataEnd), $"prefix of {n} bytes: {e?.Message}");
        }
    }

    [Test]
    public void RandomMutationsAreRejectedOrAccepted()
    {
        byte[] original = GgufTestFiles.WriteToBytes(GgufTestFiles.SampleWriter());
        var rng = new Random(12345);
        int rejected = 0;
        for (int iter = 0; iter < 2000; iter++)
        {
            byte[] bytes = (byte[])original.Clone();
            int edits = 1 + rng.Next(4);
            for (int k = 0; k < edits && bytes.Length > 0; k++)
            {
                int at = rng.Next(bytes.Length);
                switch (rng.Next(4))
                {
                    case 0: bytes[at] ^= (byte)(1 << rng.Next(8)); break;
                    case 1: bytes[at] = (byte)rng.Next(256); break;
                    case 2: // a random or extreme 64-bit count/length/offset
                        ulong v = rng.Next(3) switch { 0 => (ulong)rng.NextInt64(), 1 => ulong.MaxValue - (ulong)rng.Next(4), _ => (ulong)rng.Next(100000) };
                        for (int b = 0; b < 8 && at + b < bytes.Length; b++) bytes[at + b] = (byte)(v >> (8 * b));
                        break;
                    default: bytes = bytes[..at]; break;
                }
            }
            // bounded work, by count not by clock: a hostile count or length must not make the reader allocate for it
            long before = GC.GetAllocatedBytesForCurrentThread();
            if (TryOpen(bytes) is not null) rejected++;
            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(16L << 20), $"mutation {iter} allocated too much");
        }
        Assert.That(rejected, Is.GreaterThan(1000), "most mutations should be caught");
    }

    [Test]
    public void BadMagicAndVersions()
    {
        Rejects(new RawGguf().Bytes("GGUX"u8).U32(3).U64(0).U64(0).ToArray(), 0, "not a GGUF file");
        Rejects(new RawGguf().Header(0, 0, version: 1).ToArray(), 4, "version 1 is not supported");
        Rejects(new RawGguf().Header(0, 0, version: 4).ToArray(), 4, "unsupported GGUF version 4");
        Rejects(new RawGguf().Header(0, 0, version: 0x03000000).ToArray(), 4, "big-endian");
        Rejects("GGUF"u8.ToArray(), 4, "too short");
        Rejects([], 0, "too short");
        Assert.That(TryOpen(new RawGguf().Header(0, 0).ToArray()), Is.Null, "empty v3 file");
        Assert.That(TryOpen(new RawGguf().Header(0, 0, version: 2).ToArray()), Is.Null, "empty v2 file");
    }

    [Test]
    public void MissingFileIsAFormatException()
    {
        var e = Assert.Throws<ModelFormatException>(() => GgufFile.Open(Path.Combine(_dir, "absent.gguf")));
        Assert.That(e!.InnerException, Is.InstanceOf<IOException>());
        Assert.Throws<ModelFormatException>(() => GgufFile.Open(_dir)); // a directory
    }

    [Test]
    public void HugeCountsAndLengthsFailBeforeAllocating()
    {
        Rejects(new RawGguf().Header(1UL << 62, 0).ToArray(), 8, "tensor count");
        Rejects(new RawGguf().Header(ulong.MaxValue, 0).ToArray(), 8, "tensor count");
        Rejects(new RawGguf().Header(0, 1UL << 40).ToArray(), 16, "metadata count");
        Rejects(new RawGguf().Header(0, 1).U64(1UL << 63).Bytes("abc"u8).U32(4).U32(0).ToArray(), 24, "length");
        var raw = new RawGguf().Header(0, 1).Str("k").U32((uint)GgufValueType.String).U64(ulong.MaxValue).Zeros(16);
        Rejects(raw.ToArray(), 24 + 9 + 4, "length");
        foreach (var elem in new[] { GgufValueType.UInt8, GgufValueType.String, GgufValueType.Array, GgufValueType.Float64 })
        {
            raw = new RawGguf().Header(0, 1).Str("k").U32((uint)GgufValueType.Array).U32((uint)elem).U64(1UL << 62).Zeros(64);
            Rejects(raw.ToArray(), 24 + 9 + 4 + 4, "cannot fit");
        }
        // A count that fits the file exactly is fine: 40 one-byte items.
        raw = new RawGguf().Header(0, 1).Str("k").U32((uint)GgufValueType.Array).U32(0).U64(40).Zeros(40);
        Assert.That(TryOpen(raw.ToArray()), Is.Null);
    }

    [Test]
    public void BadMetadataValues()
    {
        long valueAt = 24 + 9 + 4;
        Rejects(new RawGguf().Header(0, 1).Str("k").U32(13).U32(0).ToArray(), 24 + 9, "unknown value type 13");
        Rejects(new RawGguf().Header(0, 1).Str("k").U32((uint)GgufValueType.Bool).Bytes([2]).ToArray(), valueAt, "bool");
        Rejects(new RawGguf().Header(0, 1).Str("k").U32((uint)GgufValueType.String).U64(2).Bytes([0xC3, 0x28]).ToArray(), valueAt + 8, "UTF-8");
        Rejects(new RawGguf().Header(0, 1).U64(1).Bytes([0xFF]).U32(0).Bytes([1]).ToArray(), 32, "UTF-8");
        Rejects(new RawGguf().Header(0, 2).KvU32("k", 1).KvU32("k", 2).ToArray(), 24 + 17, "duplicate metadata key 'k'");
        Rejects(new RawGguf().Header(0, 1).Str("k").U32((uint)GgufValueType.Array).U32(77).U64(0).ToArray(), valueAt, "unknown array element type");

        // Arrays of arrays nested 8 deep are fine; 9 deep are not.
        foreach (int depth in new[] { 8, 9 })
        {
            var raw = new RawGguf().Header(0, 1).Str("k").U32((uint)GgufValueType.Array);
            for (int d = 1; d < depth; d++) raw.U32((uint)GgufValueType.Array).U64(1);
            raw.U32((uint)GgufValueType.Int32).U64(0);
            if (depth == 8) Assert.That(TryOpen(raw.ToArray()), Is.Null);
            else Rejects(raw.ToArray(), valueAt + 12 * 8, "nested deeper");
        }
    }

    [TestCase(0u, "power of two")]
    [TestCase(3u, "power of two")]
    [TestCase(48u, "power of two")]
    [TestCase(0x80000000u, "power of two")]
    public void BadAlignment(uint alignment, string reason) =>
        Rejects(new RawGguf().Header(0, 1).KvU32("general.alignment", alignment).ToArray(), 24 + 25 + 4, reason);

    [Test]
    public void AlignmentMustBeUInt32() =>
        Rejects(new RawGguf().Header(0, 1).Str("general.alignment").U32((uint)GgufValueType.Int32).U32(32).ToArray(), 24 + 25 + 4, "UInt32");

    [Test]
    public void BadTensorShapesAndTypes()
    {
        var bytes = TensorsWithPositions(64, out var dimsAt, out _, ("ok", GgmlType.F32, [4], 0), ("z", GgmlType.F32, [4, 0], 32));
        Rejects(bytes, dimsAt[1] + 12, "dimension 1 is 0");
        bytes = TensorsWithPositions(64, out dimsAt, out _, ("neg", GgmlType.F32, [unchecked((ulong)-4L)], 0));
        Rejects(bytes, dimsAt[0] + 4, "must be positive");
        bytes = TensorsWithPositions(64, out dimsAt, out _, ("big", GgmlType.F32, [1UL << 32, 1UL << 32], 0));
        Rejects(bytes, dimsAt[0], "overflows");
        bytes = TensorsWithPositions(64, out dimsAt, out _, ("big", GgmlType.F32, [1UL << 62], 0));
        Rejects(bytes, dimsAt[0], "overflows");
        bytes = TensorsWithPositions(64, out dimsAt, out _, ("q", GgmlType.Q4_0, [33], 0));
        Rejects(bytes, dimsAt[0], "not a multiple of the Q4_0 block size 32");
        bytes = TensorsWithPositions(64, out dimsAt, out _, ("u", (GgmlType)99, [4], 0));
        Rejects(bytes, dimsAt[0] + 12, "unknown ggml type 99");
        bytes = TensorsWithPositions(64, out dimsAt, out _, ("five", GgmlType.F32, [1, 1, 1, 1, 1], 0));
        Rejects(bytes, dimsAt[0], "5 dimensions");
        bytes = TensorsWithPositions(64, out dimsAt, out _, ("none", GgmlType.F32, [], 0));
        Rejects(bytes, dimsAt[0], "0 dimensions");
        Rejects(Tensors(64, ("", GgmlType.F32, [4], 0)), 24, "empty name");
        Rejects(Tensors(64, (new string('n', 64), GgmlType.F32, [4], 0)), 24, "at most 63");
        Rejects(Tensors(64, ("a", GgmlType.F32, [4], 0), ("a", GgmlType.F32, [4], 32)), 24 + 9 + 4 + 8 + 4 + 8, "duplicate tensor name 'a'");
    }

    [Test]
    public void BadTensorPlacement()
    {
        var bytes = TensorsWithPositions(64, out _, out var offsetAt, ("a", GgmlType.F32, [4], 0), ("b", GgmlType.F32, [4], 16));
        Rejects(bytes, offsetAt[1], "not a multiple of the alignment 32");
        bytes = TensorsWithPositions(64, out _, out offsetAt, ("a", GgmlType.F32, [16], 0), ("b", GgmlType.F32, [4], 32));
        Rejects(bytes, offsetAt[1], "overlaps tensor 'a'");
        bytes = TensorsWithPositions(64, out _, out offsetAt, ("a", GgmlType.F32, [4], 32), ("b", GgmlType.F32, [4], 32));
        Rejects(bytes, offsetAt[1], "overlaps");
        bytes = TensorsWithPositions(64, out _, out offsetAt, ("a", GgmlType.F32, [4], 64));
        Rejects(bytes, offsetAt[0], "outside the data section");
        bytes = TensorsWithPositions(64, out _, out offsetAt, ("a", GgmlType.F32, [17], 0));
        Rejects(bytes, offsetAt[0], "outside the data section");
        bytes = TensorsWithPositions(64, out _, out offsetAt, ("a", GgmlType.F32, [4], 1UL << 62));
        Rejects(bytes, offsetAt[0], "outside the data section");
        bytes = TensorsWithPositions(64, out _, out offsetAt, ("a", GgmlType.F32, [4], ulong.MaxValue - 31));
        Rejects(bytes, offsetAt[0], "past the end");
        bytes = TensorsWithPositions(0, out _, out offsetAt, ("a", GgmlType.F32, [4], 0))[..^1]; // header not even padded
        Rejects(bytes, offsetAt[0], "outside the data section");

        // Out of order but disjoint and inside the file: accepted, and the data is where the offsets say.
        bytes = Tensors(64, ("b", GgmlType.F32, [4], 32), ("a", GgmlType.F32, [8], 0));
        Assert.That(TryOpen(bytes), Is.Null);
    }
}
