// The bench's memory read-bandwidth probe: a positive finite GB/s, and a checksum equal to a scalar sum of the same buffer (every byte read).
using System.Runtime.InteropServices;
using Minerva.Native.Cli.Bench;

namespace Minerva.Native.Tests.Bench;

public unsafe class ReadBandwidthTests
{
    private static ulong ScalarSum(ReadOnlySpan<byte> buffer)
    {
        ulong sum = 0;
        foreach (ulong word in MemoryMarshal.Cast<byte, ulong>(buffer)) sum += word;
        return sum;
    }

    /// <summary>Sizes around the vector loop and the slice boundaries; slices shorter than a vector, empty slices, a misaligned start.</summary>
    [TestCase(8, 1), TestCase(8, 3), TestCase(248, 2), TestCase(256, 1), TestCase(264, 4), TestCase(4096 + 8 * 13, 3), TestCase((1 << 20) + 8 * 37, 2)]
    public void ChecksumIsTheScalarSumOfEveryWord(int bytes, int threads)
    {
        var buffer = new byte[bytes + 8];
        new Random(bytes * 31 + threads).NextBytes(buffer);
        var span = buffer.AsSpan(3, bytes);   // not 8-byte aligned
        fixed (byte* p = span)
        {
            var r = ReadBandwidth.Measure(p, bytes, threads, passes: 2);
            Assert.That(r.Checksum, Is.EqualTo(ScalarSum(span)));
            Assert.That((r.Threads, r.Bytes), Is.EqualTo((threads, (long)bytes)));
            Assert.That(double.IsFinite(r.GBps) && r.GBps > 0, $"{r.GBps} GB/s");
        }
    }

    [Test]
    public void ProbeReadsItsWholeBufferAndReturnsAPositiveRate()
    {
        const long Bytes = 4 << 20;
        var r = ReadBandwidth.Probe(threads: 2, bytes: Bytes + 40, passes: 2);
        ulong expected = 0;
        for (ulong i = 0; i < Bytes / 8; i++) expected += i * 0x9E3779B97F4A7C15UL;   // the pattern Probe writes, rounded down to 64 bytes
        Assert.That((r.Bytes, r.Threads, r.Checksum), Is.EqualTo((Bytes, 2, expected)));
        Assert.That(double.IsFinite(r.GBps) && r.GBps > 0, $"{r.GBps} GB/s");
    }

    [Test]
    public void SizesThatAreNotWholeWordsAreRefused()
    {
        var buffer = new byte[64];
        fixed (byte* p = buffer)
        {
            byte* q = p;
            Assert.Throws<ArgumentOutOfRangeException>(() => ReadBandwidth.Measure(q, 12, 1, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => ReadBandwidth.Measure(q, 0, 1, 1));
        }
    }
}
