namespace Minerva.Native.Cli.Commands;

internal static class Common
{
    /// <summary>--device, --threads, -c/--ctx-size, --batch.</summary>
    public static ModelOptions ModelOptions(Args a)
    {
        string device = a.Option("--device") ?? "auto";
        return new ModelOptions
        {
            Device = device.ToLowerInvariant() switch
            {
                "auto" => DeviceKind.Auto,
                "cpu" => DeviceKind.Cpu,
                "cuda" or "gpu" => DeviceKind.Cuda,
                _ => throw new UsageException($"--device must be cuda, cpu or auto, not '{device}'"),
            },
            Threads = a.Int(0, "-t", "--threads"),
            ContextLength = a.Int(0, "-c", "--ctx-size"),
            BatchSize = a.Int(512, "-b", "--batch-size"),
        };
    }

    public static string Bytes(long n) => n switch
    {
        >= 1L << 30 => $"{n / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{n / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{n / 1024.0:F1} KiB",
        _ => $"{n} B",
    };
}
