// The device step buffer: int [1 + 3 * rows] = row count, then token, position, sequence of each row (common.cuh STEP_*).
namespace Minerva.Native.Backends.Cuda;

/// <summary>
/// Layout of the step buffer that every per-row kernel reads (embedding, RoPE, KV store, attention), written by the host
/// before each step in one copy, so that a captured graph replays for any tokens, positions and sequences.
/// </summary>
internal static class StepLayout
{
    public const int RowCount = 0;  // STEP_ROW_COUNT
    public const int Rows = 1;      // STEP_ROWS: first int of row 0
    public const int RowInts = 3;   // STEP_ROW_INTS: token, position, sequence

    public static int Ints(int rows) => Rows + RowInts * rows;

    /// <summary>Checks a step's rows (as many tokens as positions and sequences, at least one, none negative) and writes them
    /// to <paramref name="step"/>; returns the ints written.</summary>
    public static int Write(Span<int> step, ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, ReadOnlySpan<int> sequences)
    {
        if (positions.Length != tokens.Length || sequences.Length != tokens.Length)
            throw new ArgumentException($"{tokens.Length} tokens, {positions.Length} positions, {sequences.Length} sequences");
        if (tokens.IsEmpty) throw new ArgumentException("a step needs at least one row");
        int n = Ints(tokens.Length);
        if (step.Length < n) throw new ArgumentException($"step buffer of {step.Length} ints < {n}");
        step[RowCount] = tokens.Length;
        for (int r = 0; r < tokens.Length; r++)
        {
            if (positions[r] < 0) throw new ArgumentOutOfRangeException(nameof(positions), $"row {r}: position {positions[r]}");
            if (sequences[r] < 0) throw new ArgumentOutOfRangeException(nameof(sequences), $"row {r}: sequence {sequences[r]}");
            int at = Rows + RowInts * r;
            step[at] = tokens[r];
            step[at + 1] = positions[r];
            step[at + 2] = sequences[r];
        }
        return n;
    }
}
