// A bad command line as one line: the first error, with an unknown option or command named as such and the nearest
// declared names as a hint (edit distance, as System.CommandLine's own typo corrections measure it).
using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace Minerva.Native.Cli.Parsing;

public static class UsageLine
{
    /// <summary>Null when the command line is good (or asks for help or the version).</summary>
    public static string? Of(ParseResult result)
    {
        var command = result.CommandResult.Command;
        if (result.Action is ParseErrorAction)
        {
            if ((DashedArgument(result) ?? result.UnmatchedTokens.FirstOrDefault()) is { } unknown) return Unknown(command, unknown);
            var error = result.Errors[0];
            return error.SymbolResult is OptionResult { Tokens.Count: 0, IdentifierToken: { } flag, Option.Arity.MinimumNumberOfValues: > 0 }
                ? $"{flag.Value} needs a value"
                : Lowercased(error.Message.TrimEnd('.'));
        }
        return result.Action == command.Action && DashedArgument(result) is { } stray ? Unknown(command, stray) : null;
    }

    /// <summary>"minerva-native run" for a subcommand's errors, "minerva-native" for the root's.</summary>
    public static string Prefix(ParseResult result) =>
        result.CommandResult.Command is RootCommand ? CommandLine.Name : $"{CommandLine.Name} {result.CommandResult.Command.Name}";

    /// <summary>An unknown `--flag` that the parser took for a positional argument (only `--` makes such a text literal).</summary>
    private static string? DashedArgument(ParseResult result)
    {
        var positional = result.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).ToHashSet(ReferenceEqualityComparer.Instance);
        foreach (var token in result.Tokens)
        {
            if (token.Type == TokenType.DoubleDash) break;
            if (token.Value.Length > 1 && token.Value[0] == '-' && positional.Contains(token)) return token.Value;
        }
        return null;
    }

    /// <summary>"Option '--model' is required" → "option '--model' is required", as our own messages read.</summary>
    private static string Lowercased(string message) =>
        message.Length > 1 && char.IsUpper(message[0]) && char.IsLower(message[1]) ? char.ToLowerInvariant(message[0]) + message[1..] : message;

    private static string Unknown(Command command, string token)
    {
        bool dashed = token.StartsWith('-');
        string what = dashed ? $"unknown option '{token}'" : command is RootCommand ? $"unknown command '{token}'" : $"unexpected argument '{token}'";
        var names = dashed ? OptionsOf(command).Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name))
                           : command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);
        var near = Nearest(token, names);
        return near.Count > 0 ? $"{what} (did you mean {string.Join(" or ", near.Select(n => $"'{n}'"))}?)"
             : command is RootCommand ? $"{what} (try --help)" : what;
    }

    private static IEnumerable<Option> OptionsOf(Command command) =>
        command.Options.Concat(command.Parents.OfType<Command>().SelectMany(p => OptionsOf(p).Where(o => o.Recursive)));

    /// <summary>The names closest to the token, if close enough and at most three of them.</summary>
    private static List<string> Nearest(string token, IEnumerable<string> names)
    {
        var scored = names.Distinct().Select(n => (Name: n, Distance: Distance(token, n)))
                          .Where(s => s.Distance <= Math.Max(2, token.Length / 3)).ToList();
        if (scored.Count == 0) return [];
        int best = scored.Min(s => s.Distance);
        var nearest = scored.Where(s => s.Distance == best).Select(s => s.Name).ToList();
        return nearest.Count <= 3 ? nearest : [];
    }

    /// <summary>Levenshtein distance: insertions, deletions and substitutions.</summary>
    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
