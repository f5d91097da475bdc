// Per-kernel GPU time from CUDA events around every launch (MINERVA_CUDA_PROFILE=1): eager launches only, so a step
// is timed kernel by kernel; the table (total ms, calls, mean µs, share) goes to stderr when the backend is disposed.
using Minerva.Native.Backends.Cuda.Interop;

namespace Minerva.Native.Backends.Cuda;

internal sealed class KernelProfiler : IDisposable
{
    private readonly List<(string Name, CudaEvent Start, CudaEvent End)> _pending = new();
    private readonly Stack<CudaEvent> _free = new();
    private readonly Dictionary<string, (double Ms, long Calls)> _totals = new();

    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("MINERVA_CUDA_PROFILE") == "1";

    public void Begin(string name, CudaStream stream)
    {
        var start = _free.Count > 0 ? _free.Pop() : new CudaEvent();
        start.Record(stream);
        _pending.Add((name, start, null!));
    }

    public void End(CudaStream stream)
    {
        var end = _free.Count > 0 ? _free.Pop() : new CudaEvent();
        end.Record(stream);
        var last = _pending[^1];
        _pending[^1] = (last.Name, last.Start, end);
        if (_pending.Count >= 4096) Collect();
    }

    /// <summary>Waits for the recorded launches and adds their times to the totals.</summary>
    public void Collect()
    {
        foreach (var (name, start, end) in _pending)
        {
            end.Synchronize();
            double ms = end.ElapsedSince(start);
            var t = _totals.GetValueOrDefault(name);
            _totals[name] = (t.Ms + ms, t.Calls + 1);
            _free.Push(start);
            _free.Push(end);
        }
        _pending.Clear();
    }

    public string Report()
    {
        Collect();
        double all = _totals.Values.Sum(t => t.Ms);
        var lines = new List<string> { $"{"kernel",-34} {"total ms",10} {"calls",8} {"mean us",9} {"share",7}" };
        foreach (var (name, (ms, calls)) in _totals.OrderByDescending(kv => kv.Value.Ms))
            lines.Add($"{name,-34} {ms,10:F2} {calls,8} {ms * 1000 / calls,9:F2} {ms / all,7:P1}");
        lines.Add($"{"all kernels",-34} {all,10:F2}");
        return string.Join(Environment.NewLine, lines);
    }

    public void Dispose()
    {
        _pending.Clear();
        while (_free.Count > 0) _free.Pop().Dispose();
    }
}
