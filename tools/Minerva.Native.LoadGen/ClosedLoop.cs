// C clients, each sending its next request as soon as its previous one ends, until a level's N requests are taken from
// a shared counter; the level's wall time runs from the first send to the last completion.
using System.Diagnostics;

namespace Minerva.Native.LoadGen;

internal sealed record LevelRun(IReadOnlyList<RequestResult> Results, double WallSeconds);

internal static class ClosedLoop
{
    /// <summary>Runs <paramref name="requests"/> calls of <paramref name="send"/>(index, level start timestamp) on C workers.</summary>
    public static async Task<LevelRun> RunAsync(int concurrency, int requests, Func<int, long, CancellationToken, Task<RequestResult>> send,
        CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(requests, 1);
        var results = new RequestResult[requests];
        int next = -1;
        long start = Stopwatch.GetTimestamp();
        async Task Client()
        {
            for (int i; (i = Interlocked.Increment(ref next)) < requests;)
                results[i] = await send(i, start, cancellation).ConfigureAwait(false);
        }
        await Task.WhenAll(Enumerable.Range(0, Math.Min(concurrency, requests)).Select(_ => Task.Run(Client, cancellation))).ConfigureAwait(false);
        return new LevelRun(results, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    public static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}
