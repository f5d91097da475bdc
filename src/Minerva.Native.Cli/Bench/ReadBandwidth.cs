// Memory read bandwidth: N threads each sum the 64-bit words of their own slice of a buffer far larger than the last-level
// cache (Vector512 → Vector256 → scalar loads, four accumulators); GB/s = bytes / wall time of a pass, best of a few passes.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Minerva.Native.Cli.Bench;

/// <summary>A probe's result: the best pass in GB/s (10^9 bytes/s) and the wrapping sum of the buffer's 64-bit words.</summary>
internal readonly record struct BandwidthResult(double GBps, int Threads, long Bytes, ulong Checksum);

internal static unsafe class ReadBandwidth
{
    /// <summary>1 GiB: far past the last-level cache of the machines we bench on.</summary>
    public const long DefaultBytes = 1L << 30;
    public const int DefaultPasses = 5;

    /// <summary>Allocates <paramref name="bytes"/> (rounded down to 64), writes it from the threads that will read it, then <see cref="Measure"/>.</summary>
    public static BandwidthResult Probe(int threads, long bytes = DefaultBytes, int passes = DefaultPasses)
    {
        bytes &= ~63L;
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 64);
        byte* buffer = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 4096);
        try
        {
            OnThreads(threads, bytes, (_, start, length) =>
            {
                ulong* words = (ulong*)(buffer + start);
                for (long i = 0; i < length / 8; i++) words[i] = (ulong)(start / 8 + i) * 0x9E3779B97F4A7C15UL;
            });
            return Measure(buffer, bytes, threads, passes);
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    /// <summary>Reads <paramref name="bytes"/> (a multiple of 8) at <paramref name="data"/> <paramref name="passes"/> times on <paramref name="threads"/> threads.</summary>
    public static BandwidthResult Measure(byte* data, long bytes, int threads, int passes)
    {
        if (bytes <= 0 || bytes % 8 != 0) throw new ArgumentOutOfRangeException(nameof(bytes), $"{bytes} is not a positive multiple of 8");
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(passes, 1);
        double best = 0;
        ulong checksum = 0;
        for (int p = 0; p < passes; p++)
        {
            var sums = new ulong[threads];
            double seconds = OnThreads(threads, bytes, (t, start, length) => sums[t] = Sum(data + start, length / 8));
            checksum = 0;
            foreach (ulong s in sums) checksum += s;
            best = Math.Max(best, bytes / seconds / 1e9);
        }
        return new BandwidthResult(best, threads, bytes, checksum);
    }

    /// <summary>The wrapping sum of <paramref name="words"/> 64-bit words.</summary>
    internal static ulong Sum(byte* p, long words)
    {
        long i = 0;
        ulong total = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<ulong> a = default, b = default, c = default, d = default;
            for (; i + 32 <= words; i += 32)
            {
                ulong* q = (ulong*)p + i;
                a += Vector512.Load(q);
                b += Vector512.Load(q + 8);
                c += Vector512.Load(q + 16);
                d += Vector512.Load(q + 24);
            }
            total = Vector512.Sum(a + b + (c + d));
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<ulong> a = default, b = default, c = default, d = default;
            for (; i + 16 <= words; i += 16)
            {
                ulong* q = (ulong*)p + i;
                a += Vector256.Load(q);
                b += Vector256.Load(q + 4);
                c += Vector256.Load(q + 8);
                d += Vector256.Load(q + 12);
            }
            total = Vector256.Sum(a + b + (c + d));
        }
        for (; i < words; i++) total += ((ulong*)p)[i];
        return total;
    }

    /// <summary>
    /// Runs <paramref name="work"/>(slice, start, length) on one thread per slice (64-byte aligned, the last takes the rest), all
    /// released at once; returns the seconds from the release until the last slice finished.
    /// </summary>
    private static double OnThreads(int threads, long bytes, Action<int, long, long> work)
    {
        using var go = new Barrier(threads + 1);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int slice = t;
            long start = SliceStart(t, bytes, threads), length = SliceStart(t + 1, bytes, threads) - start;
            workers[t] = new Thread(() => { go.SignalAndWait(); work(slice, start, length); }) { IsBackground = true };
            workers[t].Start();
        }
        go.SignalAndWait();
        long t0 = Stopwatch.GetTimestamp();
        foreach (var w in workers) w.Join();
        return Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }

    private static long SliceStart(int t, long bytes, int threads) => t == threads ? bytes : (bytes / threads * t) & ~63L;
}
