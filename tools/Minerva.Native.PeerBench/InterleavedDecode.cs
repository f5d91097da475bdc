// Decode (or prompt processing) of ours and llama.cpp in one process, step by step: one generated token (or one whole prompt)
// of one engine, then of the other (the first engine alternating), each after a pause that lets both thread pools go idle. Each pair runs within ~0.2 s of
// itself, so the per-pair speed ratio cancels the drift of a shared VM's memory bandwidth that separate runs minutes apart
// carry (their per-round ratios swing by 15 % and more on the 2-core VM).
using System.Diagnostics;
using System.Globalization;
using Minerva.Native.Cli.Bench;

namespace Minerva.Native.PeerBench;

internal sealed record InterleavedResult(string Model, int Threads, int Pairs, double OursMs, double PeerMs, double Ratio, double RatioP25, double RatioP75);

internal static class InterleavedDecode
{
    /// <summary>Times <paramref name="pairs"/> step pairs on one GGUF file; sessions restart (untimed prompt) every
    /// <paramref name="genTokens"/> generated tokens, so each step attends over promptTokens .. promptTokens + genTokens
    /// positions, as the bench's tgN scenarios do. Every step's time goes to <paramref name="steps"/>.</summary>
    /// <remarks>With <paramref name="promptOnly"/> a step is a whole <paramref name="promptTokens"/>-token prompt in a fresh
    /// session (prompt processing, as the bench's ppN) and the ratio is of prompt tokens/s.</remarks>
    public static InterleavedResult Run(string path, int threads, int pairs, int promptTokens, int genTokens, int pauseMs, bool promptOnly, TextWriter steps)
    {
        IBenchEngine[] engines = [new MinervaEngineAdapter(), new LlamaCppEngine()];
        var models = new BenchModel[2];
        var sessions = new BenchSession[2];
        try
        {
            for (int e = 0; e < 2; e++) models[e] = engines[e].Load(path, "cpu", threads, promptTokens + (promptOnly ? 1 : genTokens));
            if (models[0].VocabSize != models[1].VocabSize) throw new InvalidOperationException($"{path}: the engines read different vocabularies");
            int[] prompt = BenchPrompt.Tokens(models[0].VocabSize, promptTokens);
            int[] next = new int[2];
            int generated = genTokens;
            int warmup = promptOnly ? 1 : 8;
            var ms = new[] { new List<double>(pairs), new List<double>(pairs) };
            var ratios = new List<double>(pairs);
            var dt = new double[2];
            for (int pair = 0; pair < pairs + warmup; pair++)
            {
                if (!promptOnly && generated == genTokens)
                {
                    for (int e = 0; e < 2; e++)
                    {
                        sessions[e]?.Dispose();
                        sessions[e] = models[e].CreateSession();
                        next[e] = sessions[e].EvaluateGreedy(prompt);
                    }
                    generated = 1;
                }
                for (int i = 0; i < 2; i++)
                {
                    int e = (pair + i) % 2;
                    using var fresh = promptOnly ? models[e].CreateSession() : null;
                    Thread.Sleep(pauseMs);
                    long t0 = Stopwatch.GetTimestamp();
                    if (fresh is not null) fresh.EvaluateGreedy(prompt);
                    else next[e] = sessions[e].EvaluateGreedy([next[e]]);
                    dt[e] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                }
                generated++;
                if (pair < warmup) continue;
                ms[0].Add(dt[0]);
                ms[1].Add(dt[1]);
                ratios.Add(dt[1] / dt[0]);
                steps.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(path)},{threads},{pair - warmup},{dt[0]:F3},{dt[1]:F3}"));
            }
            return new InterleavedResult(Path.GetFileName(path), threads, pairs, Quantile(ms[0], 0.5), Quantile(ms[1], 0.5),
                Quantile(ratios, 0.5), Quantile(ratios, 0.25), Quantile(ratios, 0.75));
        }
        finally
        {
            foreach (var s in sessions) s?.Dispose();
            foreach (var m in models) m?.Dispose();
        }
    }

    private static double Quantile(List<double> values, double quantile)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)(quantile * (sorted.Count - 1))];
    }
}
