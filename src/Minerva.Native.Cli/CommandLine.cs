// `minerva-native COMMAND ...` on System.CommandLine: every command and option declared once (help, completions and
// typo hints come from the declarations); a bad command line is one line and exit 2, a failure one line and exit 1,
// Ctrl+C 130.
using System.CommandLine;
using System.CommandLine.Help;
using System.Reflection;
using Minerva.Native.Cli.Bench;
using Minerva.Native.Cli.Commands;
using Minerva.Native.Cli.Parsing;
using Minerva.Native.Formats;

namespace Minerva.Native.Cli;

public static class CommandLine
{
    public const string Name = "minerva-native";
    public const int ExitOk = 0, ExitError = 1, ExitUsage = 2, ExitCancelled = 130;

    public static string Version { get; } =
        typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(CommandLine).Assembly.GetName().Version?.ToString() ?? "?";

    /// <summary>Response files are off: a prompt may start with '@'.</summary>
    public static ParserConfiguration Parser { get; } = new() { ResponseFileTokenReplacer = null };

    private const string RootEpilog = """
        `minerva-native COMMAND --help` shows a command's options; `--opt value`, `--opt=value` and `--opt:value` are alike.
        Exit codes: 0 done, 1 failed (one line on stderr), 2 bad command line, 130 cancelled (bench: 3 when --compare matched no cell).
        """;

    /// <summary>Every command, declared once.</summary>
    public static RootCommand Root()
    {
        var root = new RootCommand("Minerva.Native: Llama-family inference from GGUF and safetensors files, on the CPU or an NVIDIA GPU.")
        {
            RunCommand.Create(), ServeCommand.Create(), InfoCommand.Create(), TokenizeCommand.Create(), PerplexityCommand.Create(),
            QuantizeCommand.Create(), MakeModelCommand.Create(), BenchCommand.Create(),
        };
        root.HelpName = Name;
        var help = new HelpWithEpilog(RootEpilog);
        root.Options.OfType<HelpOption>().Single().Action = help;
        root.Options.OfType<VersionOption>().Single().Action = new VersionLine();
        root.SetAction(parseResult =>
        {
            help.Invoke(parseResult);
            return ExitUsage;
        });
        return root;
    }

    public static int Run(string[] argv)
    {
        if (argv is ["help", .. var rest]) argv = [.. rest, "--help"];
        var parsed = Root().Parse(argv, Parser);
        string prefix = UsageLine.Prefix(parsed);
        if (UsageLine.Of(parsed) is { } usage)
        {
            Console.Error.WriteLine($"{prefix}: {usage}");
            return ExitUsage;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration
            {
                Output = Console.Out, Error = Console.Error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null,
            });
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"{prefix}: {e.Message}");
            return ExitUsage;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"{prefix}: cancelled");
            return ExitCancelled;
        }
        catch (Exception e) when (e is ModelFormatException or IOException or InvalidDataException or NotSupportedException
                                       or UnauthorizedAccessException or ArgumentException or InvalidOperationException
                                       or OutOfMemoryException)
        {
            Console.Error.WriteLine($"{prefix}: error: {e.Message}");
            return ExitError;
        }
    }
}

/// <summary>A bad command line found only when the command runs (an empty prompt file): one line, exit 2.</summary>
public sealed class UsageException(string message) : Exception(message);
