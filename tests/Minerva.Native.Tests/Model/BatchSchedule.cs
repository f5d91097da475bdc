// Continuous batching of four sequences through one LlamaExecutor on any backend: prompts of three sequences in one step,
// a long prompt of the fourth in two chunks beside the others' decode rows, then decode steps of 4 and of 3 rows.
using Minerva.Native.Execution;
using Minerva.Native.Model;

namespace Minerva.Native.Tests.Model;

internal static class BatchSchedule
{
    /// <summary>Positions per sequence: sequence 0 crosses the 128-key decode split of the GPU.</summary>
    public const int Context = 160;
    public const int Sequences = 4;
    public const int BatchSize = 128;

    /// <summary>Tokens of sequence s: <see cref="Lengths"/>[s] seeded ids (the same in every run).</summary>
    public static readonly int[] Lengths = [149, 19, 23, 17];

    /// <summary>A step: parts (sequence, first position, rows), and whether every row's logits are asked for (else those of
    /// each part's last row).</summary>
    public static readonly ((int Seq, int From, int Count)[] Parts, bool AllRows)[] Steps = Build();

    /// <summary>Steps 3..10: eight decode steps of the four sequences (4 rows each); 11..13: three of 3 rows; 14: 4 rows again.</summary>
    public const int FirstDecode4 = 3, Decode4Steps = 8, FirstDecode3 = 11, Decode3Steps = 3, LastDecode4 = 14;

    private static ((int, int, int)[], bool)[] Build()
    {
        var steps = new List<((int, int, int)[], bool)>
        {
            ([(1, 0, 5), (2, 0, 9), (3, 0, 3)], false),                   // three prompts
            ([(0, 0, 100), (1, 5, 1), (2, 9, 1), (3, 3, 1)], true),       // a prompt chunk + three decode rows
            ([(1, 6, 1), (0, 100, 40), (2, 10, 1), (3, 4, 1)], false),    // the rest of the prompt between decode rows
        };
        for (int i = 0; i < Decode4Steps; i++) steps.Add(([(0, 140 + i, 1), (1, 7 + i, 1), (2, 11 + i, 1), (3, 5 + i, 1)], true));
        for (int i = 0; i < Decode3Steps; i++) steps.Add(([(3, 13 + i, 1), (1, 15 + i, 1), (2, 19 + i, 1)], true));
        steps.Add(([(0, 148, 1), (1, 18, 1), (2, 22, 1), (3, 16, 1)], true));
        return steps.ToArray();
    }

    public static int[] Tokens(int sequence, int vocab)
    {
        var rng = new Random(100 + sequence);
        return Enumerable.Range(0, Lengths[sequence]).Select(_ => rng.Next(vocab)).ToArray();
    }

    /// <summary>Runs the schedule on a fresh executor; the logits of every asked-for (sequence, position).
    /// <paramref name="afterStep"/> sees each step's index once it is issued.</summary>
    public static Dictionary<(int Seq, int Pos), float[]> Run(BackendModel model, Action<int>? afterStep = null)
    {
        var backend = model.Backend;
        int vocab = model.Config.VocabSize;
        var tokens = Enumerable.Range(0, Sequences).Select(s => Tokens(s, vocab)).ToArray();
        var logits = new Dictionary<(int, int), float[]>();
        using var executor = new LlamaExecutor(model, Sequences, Context, BatchSize);
        for (int i = 0; i < Steps.Length; i++)
        {
            var (parts, allRows) = Steps[i];
            var t = new List<int>();
            var p = new List<int>();
            var s = new List<int>();
            var asked = new List<int>();
            foreach (var (seq, from, count) in parts)
            {
                for (int r = 0; r < count; r++)
                {
                    if (allRows || r == count - 1) asked.Add(t.Count);
                    t.Add(tokens[seq][from + r]);
                    p.Add(from + r);
                    s.Add(seq);
                }
            }
            executor.Forward(t.ToArray(), p.ToArray(), s.ToArray(), asked.ToArray());
            afterStep?.Invoke(i);
            for (int j = 0; j < asked.Count; j++)
            {
                var row = new float[vocab];
                backend.ReadRow(executor.Logits, j, row);
                logits.Add((s[asked[j]], p[asked[j]]), row);
            }
        }
        return logits;
    }

    /// <summary>max over the asked-for (sequence, position) of max |actual − expected| / rms(expected), where
    /// <paramref name="expected"/>[s] holds [positions, vocab] of sequence s.</summary>
    public static double RelativeError(Dictionary<(int Seq, int Pos), float[]> actual, float[][] expected, int vocab)
    {
        double worst = 0;
        foreach (var ((seq, pos), row) in actual)
        {
            var e = expected[seq].AsSpan(pos * vocab, vocab);
            double rms = 0, max = 0;
            for (int i = 0; i < vocab; i++)
            {
                if (!float.IsFinite(row[i])) throw new AssertionException($"non-finite logit at sequence {seq}, position {pos}, token {i}");
                rms += (double)e[i] * e[i];
                max = Math.Max(max, Math.Abs(row[i] - e[i]));
            }
            worst = Math.Max(worst, max / Math.Sqrt(rms / vocab));
        }
        return worst;
    }

    /// <summary>Same as <see cref="RelativeError(Dictionary{ValueTuple{int, int}, float[]}, float[][], int)"/> against another run of the schedule.</summary>
    public static double RelativeError(Dictionary<(int Seq, int Pos), float[]> actual, Dictionary<(int Seq, int Pos), float[]> expected, int vocab)
    {
        if (actual.Count != expected.Count) throw new AssertionException($"{actual.Count} logit rows vs {expected.Count}");
        var byRow = new float[Sequences][];
        for (int s = 0; s < Sequences; s++) byRow[s] = new float[Lengths[s] * vocab];
        foreach (var ((seq, pos), row) in expected) row.CopyTo(byRow[seq], pos * vocab);
        foreach (var key in actual.Keys)
            if (!expected.ContainsKey(key)) throw new AssertionException($"no expected logits for {key}");
        return RelativeError(actual, byRow, vocab);
    }
}
