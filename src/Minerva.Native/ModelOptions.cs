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
    /// <summary>KV-cache length in tokens; 0 means the model's trained context length.</summary>
    public int ContextLength { get; init; }
    /// <summary>Most tokens one forward step processes (longer prompts are split into steps).</summary>
    public int BatchSize { get; init; } = 512;
}
