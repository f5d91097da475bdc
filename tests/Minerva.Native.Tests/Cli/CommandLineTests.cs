// The command line on System.CommandLine, in process: `--opt=value` and `-x value` alike, bad values and unknown names as
// one line with exit 2 (and the nearest name), help from the declarations, --version, completions, exit 1 for a missing model.
using System.CommandLine;
using Minerva.Native.Cli;
using Minerva.Native.Cli.Bench;
using Minerva.Native.Cli.Parsing;

namespace Minerva.Native.Tests.Cli;

public class CommandLineTests
{
    private static void AssertOneLine(CliProcess.Result r, int exitCode, string mustContain)
    {
        Assert.That(r.ExitCode, Is.EqualTo(exitCode), r.StdErr + r.StdOut);
        var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), $"expected one line on stderr, got:\n{r.StdErr}");
        Assert.That(lines[0], Does.Contain(mustContain));
        Assert.That(r.StdOut, Is.Empty, "no help or usage text after an error");
    }

    private static ParseResult Parse(params string[] argv) => CommandLine.Root().Parse(argv, CommandLine.Parser);

    [Test]
    public void EqualsColonAndSpaceFormsParseAlike()
    {
        string[][] forms =
        [
            ["run", "-m", "m.gguf", "-p", "hi", "-n", "5", "--temp", "0.5", "--seed", "18446744073709551615", "-t", "3", "-b", "64", "--stop", "a", "--stop", "b"],
            ["run", "-m=m.gguf", "--prompt=hi", "-n=5", "--temp:0.5", "--seed=18446744073709551615", "--threads=3", "--batch-size:64", "--stop=a", "--stop:b"],
        ];
        foreach (var argv in forms)
        {
            var r = Parse(argv);
            Assert.That(UsageLine.Of(r), Is.Null, string.Join(' ', argv));
            Assert.That((r.GetValue<string>("--model"), r.GetValue<string>("--prompt"), r.GetValue<int>("--max-tokens"), r.GetValue<float>("--temp")),
                Is.EqualTo(("m.gguf", "hi", 5, 0.5f)));
            Assert.That((r.GetValue<ulong>("--seed"), r.GetValue<int>("--threads"), r.GetValue<int>("--batch-size")), Is.EqualTo((ulong.MaxValue, 3, 64)), "the seed is 64-bit");
            Assert.That(r.GetValue<string[]>("--stop"), Is.EqualTo(new[] { "a", "b" }));
        }
        var defaults = Parse("run", "-m", "m.gguf", "-p", "hi");
        Assert.That((defaults.GetValue<int>("--max-tokens"), defaults.GetValue<float>("--top-p"), defaults.GetValue<ulong>("--seed"), defaults.GetValue<int>("--batch-size")),
            Is.EqualTo((128, 0.95f, 0xC0FFEEUL, 512)));

        var bench = BenchOptions.Parse("--runs=5", "--threads", "3", "--device:CPU", "--prompt-tokens=7");
        Assert.That((bench.Runs, bench.Threads, bench.Devices.Single(), bench.Scenarios[0].PromptTokens), Is.EqualTo((5, 3, "cpu", 7)));
    }

    [Test]
    public void PromptsAreTakenAsWritten()
    {
        var r = Parse("run", "-m", "m.gguf", "-p", "@not-a-response-file");
        Assert.That((UsageLine.Of(r), r.GetValue<string>("--prompt")), Is.EqualTo(((string?)null, "@not-a-response-file")));
        var dashed = Parse("tokenize", "-m", "v.gguf", "--", "-hello");
        Assert.That((UsageLine.Of(dashed), dashed.GetValue<string>("TEXT")), Is.EqualTo(((string?)null, "-hello")), "after --, a text may start with '-'");
    }

    [TestCase("run -m m.gguf -p hi -n abc", "minerva-native run: -n expects an integer, got 'abc'")]
    [TestCase("run -m m.gguf -p hi --seed -1", "--seed expects a non-negative integer, got '-1'")]
    [TestCase("run -m m.gguf -p hi --seed=18446744073709551616", "--seed expects a non-negative integer, got '18446744073709551616'")]
    [TestCase("run -m m.gguf -p hi --top-p 1.5", "--top-p must be between 0 and 1, got 1.5")]
    [TestCase("run -m m.gguf -p hi --temp warm", "--temp expects a number, got 'warm'")]
    [TestCase("run -m m.gguf -p hi -t -2", "-t must be at least 0, got -2")]
    [TestCase("run -m m.gguf -p hi --device tpu", "--device must be cuda, cpu or auto, not 'tpu'")]
    [TestCase("run -m m.gguf -p", "-p needs a value")]
    [TestCase("run -p hi", "option '--model' is required")]
    [TestCase("run -m m.gguf -p hi extra", "unexpected argument 'extra'")]
    [TestCase("serve -m m.gguf --port 70000", "minerva-native serve: --port must be between 0 and 65535, got 70000")]
    [TestCase("serve -m m.gguf --parallel 0", "--parallel must be at least 1, got 0")]
    [TestCase("make-model --preset giant -o x.gguf", "unknown preset 'giant' (one of: tiny,")]
    [TestCase("make-model --format onnx -o x", "--format must be gguf or safetensors, not 'onnx'")]
    [TestCase("quantize in.gguf out.gguf --type q9", "unknown type 'q9'")]
    [TestCase("info a.gguf b.gguf", "unexpected argument 'b.gguf'")]
    [TestCase("perplexity -m m.gguf -f t.txt -c x", "-c expects an integer, got 'x'")]
    [TestCase("bench --runs 0", "minerva-native bench: --runs must be at least 1, got 0")]
    public void BadValuesAreOneLineAndExit2(string argv, string message) =>
        AssertOneLine(CliProcess.InProcess(argv.Split(' ')), 2, message);

    [TestCase("run -m m.gguf -p hi --tmep 0", "minerva-native run: unknown option '--tmep' (did you mean '--temp'?)")]
    [TestCase("run -m m.gguf -p hi --max-token 3", "unknown option '--max-token' (did you mean '--max-tokens'?)")]
    [TestCase("run -m m.gguf -p hi --hlep", "(did you mean '--help'?)")]
    [TestCase("tokenize -m v.gguf --idz hello", "unknown option '--idz' (did you mean '--ids'?)")]
    [TestCase("bench --quik", "unknown option '--quik' (did you mean '--quick'?)")]
    [TestCase("rn -m m.gguf", "minerva-native: unknown command 'rn' (did you mean 'run'?)")]
    [TestCase("frobnicate", "minerva-native: unknown command 'frobnicate' (try --help)")]
    public void UnknownNamesSuggestTheNearest(string argv, string message) =>
        AssertOneLine(CliProcess.InProcess(argv.Split(' ')), 2, message);

    [Test]
    public void HelpOfEveryCommandListsEveryOptionItDeclares()
    {
        foreach (var command in CommandLine.Root().Subcommands)
        {
            var r = CliProcess.InProcess(command.Name, "--help");
            Assert.That((r.ExitCode, r.StdErr), Is.EqualTo((0, "")), command.Name);
            Assert.That(r.StdOut, Does.Contain($"minerva-native {command.Name}").And.Contain("-h, --help"), command.Name);
            foreach (var option in command.Options)
                foreach (string name in option.Aliases.Prepend(option.Name))
                    Assert.That(r.StdOut, Does.Match($@"(^|[\s,]){System.Text.RegularExpressions.Regex.Escape(name)}[\s,]"), $"{command.Name} --help lists {name}");
            foreach (var argument in command.Arguments) Assert.That(r.StdOut, Does.Contain($"<{argument.Name}>"), command.Name);
        }
        var run = CliProcess.InProcess("run", "--help");
        Assert.That(run.StdOut, Does.Contain("-t, --threads <N>").And.Contain("-b, --batch-size <N>").And.Contain("[default: 12648430]"));
        Assert.That(CliProcess.InProcess("bench", "-h").StdOut, Does.Contain("Exit codes: 0 done; 1 a model failed"), "the command's epilog");
        Assert.That(CliProcess.InProcess("serve", "--help").StdOut, Does.Contain("POST /v1/chat/completions"));
    }

    [Test]
    public void TopLevelHelpListsTheCommands()
    {
        var help = CliProcess.InProcess("--help");
        Assert.That(help.ExitCode, Is.EqualTo(0));
        foreach (var command in CommandLine.Root().Subcommands) Assert.That(help.StdOut, Does.Contain($"  {command.Name} "));
        Assert.That(CliProcess.InProcess("help", "run").StdOut, Does.Contain("--top-k"), "`help COMMAND` is `COMMAND --help`");
        var none = CliProcess.InProcess();
        Assert.That((none.ExitCode, none.StdOut), Is.EqualTo((2, help.StdOut)), "no command: the help, and a usage exit code");
    }

    [Test]
    public void VersionIsOneLine()
    {
        var r = CliProcess.InProcess("--version");
        var version = typeof(CommandLine).Assembly.GetName().Version!;
        Assert.That((r.ExitCode, r.StdErr), Is.EqualTo((0, "")));
        Assert.That(r.StdOut.TrimEnd(), Does.StartWith($"minerva-native {version.ToString(3)}").And.Not.Contain('\n'));
    }

    [Test]
    public void SuggestDirectiveCompletesCommandsFlagsAndValues()
    {
        static string[] Complete(string line) =>
            CliProcess.InProcess($"[suggest:{line.Length}]", line).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        Assert.That(Complete("ru"), Is.EqualTo(new[] { "run" }));
        Assert.That(Complete("run --te"), Is.EqualTo(new[] { "--temp" }));
        Assert.That(Complete("run --device "), Is.SupersetOf(new[] { "auto", "cpu", "cuda" }));
        Assert.That(Complete("bench --scenario lat"), Is.EqualTo(new[] { "latency" }));
        Assert.That(Complete("make-model --preset qw"), Is.EqualTo(new[] { "qwen2.5-0.5b" }));
    }

    [Test]
    public void MissingModelIsOneLineAndExit1()
    {
        const string missing = "/nonexistent/model.gguf";
        foreach (string[] argv in new string[][]
                 {
                     ["run", "-m", missing, "-p", "hi", "--device", "cpu"], ["info", missing], ["tokenize", "-m", missing, "hi"],
                     ["serve", "-m", missing], ["perplexity", "-m", missing, "-f", missing], ["quantize", missing, "/tmp/out.gguf", "--type", "q8_0"],
                 })
        {
            var r = CliProcess.InProcess(argv);
            AssertOneLine(r, 1, $"minerva-native {argv[0]}: error: ");
            Assert.That(r.StdErr, Does.Contain(missing));
        }
    }
}
