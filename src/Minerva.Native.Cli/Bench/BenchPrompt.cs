// Fixed prompt token ids: SplitMix64 (Steele, Lea & Flood 2014) over the vocabulary, skipping the SentencePiece
// control and byte-fallback ids (0 unk, 1 bos, 2 eos, 3..258 <0xNN>) of the Llama vocab layout.
namespace Minerva.Native.Cli.Bench;

/// <summary>
/// The prompt every run (ours and the llama.cpp peer) feeds: a pure function of (vocab size, length, seed),
/// so both engines do exactly the same work without a tokenizer.
/// </summary>
public static class BenchPrompt
{
    public const ulong DefaultSeed = 0x4D494E4552564121; // "MINERVA!"

    /// <summary>First id drawn: past unk/bos/eos and the 256 byte tokens when the vocab is large enough to have them.</summary>
    public static int FirstOrdinaryId(int vocabSize) => vocabSize >= 512 ? 259 : Math.Min(3, vocabSize - 1);

    public static int[] Tokens(int vocabSize, int count, ulong seed = DefaultSeed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int first = FirstOrdinaryId(vocabSize);
        ulong range = (ulong)(vocabSize - first);
        var ids = new int[count];
        ulong state = seed;
        for (int i = 0; i < count; i++) ids[i] = first + (int)(Next(ref state) % range);
        return ids;
    }

    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
