namespace Minerva.Native.Generation;

/// <summary>How to pick the next token and when to stop. Temperature 0 (or less) is greedy decoding.</summary>
public sealed record GenerationOptions
{
    public int MaxTokens { get; init; } = 128;
    public float Temperature { get; init; } = 0.8f;
    /// <summary>Keep the k most likely tokens; 0 disables.</summary>
    public int TopK { get; init; } = 40;
    /// <summary>Keep the smallest set whose probability reaches p; 1 disables.</summary>
    public float TopP { get; init; } = 0.95f;
    /// <summary>Drop tokens less likely than min_p × the most likely one; 0 disables.</summary>
    public float MinP { get; init; } = 0.05f;
    /// <summary>Penalty on tokens seen in the last <see cref="RepeatLastN"/> tokens (llama.cpp's rule); 1 disables.</summary>
    public float RepeatPenalty { get; init; } = 1.0f;
    public int RepeatLastN { get; init; } = 64;
    public ulong Seed { get; init; } = 0xC0FFEE;
    /// <summary>Generation ends when the text produced so far ends with one of these (the stop string is not emitted).</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    /// <summary>Keep generating past the end-of-generation token (benchmarks do, so every run does the same work).</summary>
    public bool IgnoreEos { get; init; }

    public static GenerationOptions Greedy { get; } = new() { Temperature = 0, TopK = 0, TopP = 1, MinP = 0 };
    public bool IsGreedy => Temperature <= 0;
}

/// <summary>The sampling chain of a step: top-k (0 = off), top-p (1 = off), min-p (0 = off), then temperature (> 0).</summary>
public readonly record struct SamplingParameters(float Temperature, int TopK, float TopP, float MinP);
