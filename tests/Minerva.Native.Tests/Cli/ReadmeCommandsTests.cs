// README's command table against the declarations: each command has a row, the row names every option the command
// declares, and every flag the row names is declared. On failure it prints what to write, derived from the declarations.
using System.CommandLine;
using System.Text.RegularExpressions;
using Minerva.Native.Cli;

namespace Minerva.Native.Tests.Cli;

public partial class ReadmeCommandsTests
{
    [GeneratedRegex(@"(?<![\w-])--?[a-z][\w-]*")]
    private static partial Regex Flag();

    [Test]
    public void CommandTableMatchesTheDeclarations()
    {
        string readme = Path.Combine(TestPaths.RepoRoot, "README.md");
        if (!File.Exists(readme)) Assert.Ignore("no README.md beside the tests (the portable bundle)");
        var rows = File.ReadLines(readme).SkipWhile(l => l != "## Commands").Skip(1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal))
            .Where(l => l.StartsWith("| `", StringComparison.Ordinal))
            .ToDictionary(l => l[3..].Split(' ', '`')[0]);
        var commands = CommandLine.Root().Subcommands;
        var problems = new List<string>();
        foreach (var command in commands)
        {
            if (!rows.TryGetValue(command.Name, out string? row))
            {
                problems.Add($"no row for {command.Name}; write: | `{Synopsis(command)}` | ... |");
                continue;
            }
            var listed = Flag().Matches(row).Select(m => m.Value).ToHashSet();
            var declared = command.Options.SelectMany(Names).ToHashSet();
            int before = problems.Count;
            problems.AddRange(command.Options.Where(o => !Names(o).Any(listed.Contains)).Select(o => $"{command.Name}: the row does not name {o.Name}"));
            problems.AddRange(listed.Where(f => !declared.Contains(f)).Select(f => $"{command.Name}: the row names {f}, which {command.Name} does not declare"));
            if (problems.Count > before) problems.Add($"  declared: `{Synopsis(command)}`");
        }
        problems.AddRange(rows.Keys.Where(k => commands.All(c => c.Name != k)).Select(k => $"a row for '{k}', which is not a command"));
        Assert.That(problems, Is.Empty, "README.md's command table:\n" + string.Join("\n", problems));
    }

    private static IEnumerable<string> Names(Option option) => option.Aliases.Prepend(option.Name);

    /// <summary>`run -m PATH [-p TEXT] ... [--stop TEXT]... [--chat]`, as a README table cell writes it.</summary>
    private static string Synopsis(Command command) => string.Join(" ",
        [command.Name, .. command.Arguments.Select(a => a.Name), .. command.Options.Select(o =>
        {
            string name = Names(o).MinBy(n => n.Length)!;
            string flag = o.ValueType == typeof(bool) ? name : $"{name} {o.HelpName ?? "VALUE"}";
            return (o.Required ? flag : $"[{flag}]") + (o.ValueType.IsArray ? "..." : "");
        })]).Replace("|", "\\|");
}
