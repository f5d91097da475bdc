// A command whose help ends with a paragraph the option table cannot hold (what it writes, exit codes, endpoints).
using System.CommandLine;

namespace Minerva.Native.Cli.Parsing;

public sealed class CliCommand(string name, string description) : Command(name, description)
{
    public string? Epilog { get; init; }
}
