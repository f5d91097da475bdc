// Peak resident set of this process per run: Linux VmHWM from /proc/self/status, reset by writing 5 to
// /proc/self/clear_refs (proc(5)); elsewhere the working set is sampled every 5 ms while the run lasts.
using System.Diagnostics;

namespace Minerva.Native.Cli.Bench;

/// <summary>Measures the host memory high-water mark of one run.</summary>
public sealed class PeakMemory : IDisposable
{
    private readonly bool _hwm;
    private readonly Thread? _sampler;
    private volatile bool _stop;
    private long _sampledPeak;

    private PeakMemory(bool hwm)
    {
        _hwm = hwm;
        if (hwm) return;
        _sampledPeak = CurrentWorkingSet();
        _sampler = new Thread(Sample) { IsBackground = true, Name = "bench-rss-sampler" };
        _sampler.Start();
    }

    /// <summary>Starts measuring: resets the kernel's high-water mark when it can, else starts sampling.</summary>
    public static PeakMemory Begin() => new(TryResetHighWaterMark());

    /// <summary>Peak resident bytes since <see cref="Begin"/> (never less than the current resident set).</summary>
    public long PeakBytes()
    {
        if (_hwm && ReadStatusKiB("VmHWM:") is { } kib) return kib * 1024;
        return Math.Max(Interlocked.Read(ref _sampledPeak), CurrentWorkingSet());
    }

    public void Dispose()
    {
        _stop = true;
        _sampler?.Join();
    }

    private void Sample()
    {
        while (!_stop)
        {
            long now = CurrentWorkingSet();
            if (now > Interlocked.Read(ref _sampledPeak)) Interlocked.Exchange(ref _sampledPeak, now);
            Thread.Sleep(5);
        }
    }

    private static bool TryResetHighWaterMark()
    {
        if (!OperatingSystem.IsLinux() || ReadStatusKiB("VmHWM:") is null) return false;
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long CurrentWorkingSet()
    {
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64;
    }

    /// <summary>A "Name:   1234 kB" line of /proc/self/status, in KiB.</summary>
    public static long? ReadStatusKiB(string key)
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
                string[] parts = line[key.Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                return parts.Length > 0 && long.TryParse(parts[0], out long v) ? v : null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return null;
    }
}
