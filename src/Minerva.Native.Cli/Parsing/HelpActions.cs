// `--help` as System.CommandLine writes it from the declarations, then the command's epilog; `--version` as one line.
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Minerva.Native.Cli.Parsing;

public sealed class HelpWithEpilog(string rootEpilog) : SynchronousCommandLineAction
{
    private readonly HelpAction _help = new();

    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        _help.Invoke(parseResult);
        string? epilog = parseResult.CommandResult.Command switch
        {
            RootCommand => rootEpilog,
            CliCommand c => c.Epilog,
            _ => null,
        };
        if (epilog is not null) parseResult.InvocationConfiguration.Output.WriteLine(epilog.TrimEnd() + Environment.NewLine);
        return 0;
    }
}

public sealed class VersionLine : SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        parseResult.InvocationConfiguration.Output.WriteLine($"{CommandLine.Name} {CommandLine.Version}");
        return 0;
    }
}
