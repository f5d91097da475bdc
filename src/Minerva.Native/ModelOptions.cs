namespace Minerva.Native;

/// <summary>Where the model runs.</summary>
public enum DeviceKind
{
    /// <summary>The GPU when a usable CUDA device is present, else the CPU.</summary>
    Auto,
    Cpu,
    Cuda,
}

/// <summary>How to load a model.</summary>
public sealed record ModelOptions
{
    public DeviceKind Device { get; init; } = DeviceKind.Auto;
    /// <summary>CPU worker threads; 0 means one per core.</summary>
    public int Threads { get; init; }
    /// <summary>
    /// KV-cache length in tokens; 0 means the model's trained context length capped at <see cref="DefaultContextLength"/>
    /// (as llama.cpp's tools do: Llama 3.2's 131072 positions would reserve gigabytes no chat needs).
    /// </summary>
    public int ContextLength { get; init; }

    /// <summary>The cap on the default context length.</summary>
    public const int DefaultContextLength = 4096;
    /// <summary>Most tokens one forward step processes, every session's together (longer prompts are split into steps).</summary>
    public int BatchSize { get; init; } = 512;
    /// <summary>
    /// Sessions the model can hold at once: the KV pool has this many slots of <see cref="ContextLength"/> positions
    /// (on the CPU the pages of a slot are committed as it fills; on a GPU the pool is allocated at load).
    /// </summary>
    public int MaxSequences { get; init; } = 4;
}
