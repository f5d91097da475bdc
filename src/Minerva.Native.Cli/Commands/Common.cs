// The flags every model-loading command shares (-m, --device, --threads, -c, -b) and byte counts for people.
using System.CommandLine;
using Minerva.Native.Cli.Parsing;

namespace Minerva.Native.Cli.Commands;

internal static class Common
{
    public static Option<string> Model() => new("--model", "-m")
    {
        Description = ".gguf file or safetensors file/folder", HelpName = "PATH", Required = true,
    };

    public static string Bytes(long n) => n switch
    {
        >= 1L << 30 => $"{n / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{n / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{n / 1024.0:F1} KiB",
        _ => $"{n} B",
    };
}

/// <summary>--device, -t/--threads, -c/--ctx-size, -b/--batch-size → <see cref="ModelOptions"/>.</summary>
internal sealed class LoadFlags(int? contextDefault = null, string contextDescription = "context length (default: the model's, at most 4096)")
{
    public Option<string> Device { get; } = new Option<string>("--device")
    {
        Description = "where to run (default auto: the GPU when there is one; gpu = cuda)", HelpName = "cuda|cpu|auto",
    }.OneOf(["cuda", "cpu", "auto", "gpu"], d => $"--device must be cuda, cpu or auto, not '{d}'");

    public Option<int> Threads { get; } = new Option<int>("--threads", "-t")
    {
        Description = "CPU threads (default: all cores)", HelpName = "N",
    }.Range(min: 0);

    public Option<int> Context { get; } = new Option<int>("--ctx-size", "-c")
    {
        Description = contextDescription, HelpName = "N", DefaultValueFactory = contextDefault is { } c ? _ => c : null,
    }.Range(min: 0);

    public Option<int> Batch { get; } = new Option<int>("--batch-size", "-b")
    {
        Description = "most tokens one forward step processes", HelpName = "N", DefaultValueFactory = _ => 512,
    }.Range(min: 1);

    public void AddTo(Command command)
    {
        command.Add(Device);
        command.Add(Threads);
        command.Add(Context);
        command.Add(Batch);
    }

    public ModelOptions Bind(ParseResult result) => new()
    {
        Device = (result.GetValue(Device) ?? "auto").ToLowerInvariant() switch
        {
            "cpu" => DeviceKind.Cpu,
            "cuda" or "gpu" => DeviceKind.Cuda,
            _ => DeviceKind.Auto,
        },
        Threads = result.GetValue(Threads),
        ContextLength = result.GetValue(Context),
        BatchSize = result.GetValue(Batch),
    };
}
