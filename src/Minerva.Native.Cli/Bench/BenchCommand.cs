// `minerva-native bench`: plan the matrix, run it, print the summary, write CSV (+ JSON, SVG chart, HTML report), compare with llama.cpp.
using System.CommandLine;
using System.Globalization;

namespace Minerva.Native.Cli.Bench;

public static class BenchCommand
{
    public const int ExitOk = 0, ExitRunFailed = 1, ExitNoComparison = 3, ExitCancelled = 130;

    /// <summary>Builds the real engine; replaced by tests.</summary>
    public static Func<IBenchEngine> EngineFactory { get; set; } = CreateDefaultEngine;

    public static Command Create()
    {
        var flags = new BenchFlags();
        flags.Command.SetAction(result => Run(flags.Bind(result)));
        return flags.Command;
    }

    /// <summary>Ctrl+C stops after the run in progress; what was measured is still written (exit 130).</summary>
    public static int Run(BenchOptions options)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            return Run(options, EngineFactory, Console.Out, Console.Error, !Console.IsErrorRedirected, cts.Token, threads => ReadBandwidth.Probe(threads).GBps);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <param name="bandwidthProbe">Memory read GB/s with N threads, probed once before CPU cells run (none: no decode ceiling).</param>
    public static int Run(BenchOptions options, Func<IBenchEngine> engineFactory, TextWriter output, TextWriter log, bool interactive,
        CancellationToken ct = default, Func<int, double>? bandwidthProbe = null)
    {
        List<BenchRecord> records;
        var failures = new List<string>();
        bool cancelled = false;
        BenchReport? report = null;
        string? chart = null;
        string csvPath = "";
        if (options.ResultsPath is { } earlier)
        {
            records = BenchCsv.Read(earlier);
            if (records.Count == 0) throw new InvalidDataException($"{earlier}: no rows");
        }
        else
        {
            var engine = engineFactory();
            var machine = BenchMachine.Detect(engine);
            var plan = Plan(options, engine, log, interactive);
            log.WriteLine(FormattableString.Invariant(
                $"{machine.Engine} {machine.EngineVersion} ({machine.GitCommit}) on {machine.CpuModel}, {machine.Cores} cores, SIMD {machine.SimdWidthBits} bit{(machine.GpuName.Length > 0 ? $", {machine.GpuName} (driver {machine.GpuDriver})" : "")}"));
            log.WriteLine($"{plan.Targets.Count} model(s) x {plan.Devices.Count} device(s) x {plan.Scenarios.Count} scenario(s) x ({plan.Runs} + {plan.WarmupRuns} warm-up) runs, {plan.Threads} threads");
            if (bandwidthProbe is not null && plan.Devices.Contains("cpu"))
            {
                machine = machine with { ReadBandwidthGBps = bandwidthProbe(plan.Threads), ReadBandwidthThreads = plan.Threads };
                log.WriteLine($"memory read bandwidth: {machine.ReadBandwidthText()}");
            }

            var outcome = new BenchRunner(engine, machine, log).Run(plan, ct);
            records = [.. outcome.Records];
            failures.AddRange(outcome.Failures);
            cancelled = outcome.Cancelled;
            if (cancelled) log.WriteLine("cancelled: writing the runs finished so far");

            csvPath = options.CsvPath ?? Path.Combine("bench-results", $"bench-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.csv");
            BenchCsv.Write(csvPath, records);
            log.WriteLine($"wrote {csvPath}");
            report = new BenchReport(machine, plan.Runs, plan.WarmupRuns, plan.Threads, records, failures);
            if (options.Json)
            {
                string jsonPath = Path.ChangeExtension(csvPath, ".json");
                BenchJson.Write(jsonPath, report);
                log.WriteLine($"wrote {jsonPath}");
            }
            if (options.Chart && records.Count > 0)
            {
                string svgPath = Path.ChangeExtension(csvPath, ".svg");
                chart = BenchChart.Render(records, machine);
                File.WriteAllText(svgPath, chart);
                log.WriteLine($"wrote {svgPath}");
            }
        }

        BenchSummary.Print(output, records);
        if (failures.Count > 0)
        {
            output.WriteLine();
            output.WriteLine($"{failures.Count} cell(s) failed:");
            foreach (string f in failures) output.WriteLine("  " + f);
        }

        int exit = cancelled ? ExitCancelled : failures.Count > 0 ? ExitRunFailed : ExitOk;
        BenchComparison? comparison = null;
        if (options.ComparePath is { } peerPath)
        {
            var rows = BenchCompare.Match(records, BenchCsv.Read(peerPath), out int unmatched);
            BenchCompare.Print(output, rows, unmatched, peerPath);
            comparison = new BenchComparison(peerPath, rows, unmatched);
            if (rows.Count == 0 && exit == ExitOk) exit = ExitNoComparison;
        }
        if (report is not null && records.Count > 0)
        {
            string htmlPath = Path.ChangeExtension(csvPath, ".html");
            var files = new List<string> { Path.GetFileName(csvPath) };
            if (options.Json) files.Add(Path.GetFileName(Path.ChangeExtension(csvPath, ".json")));
            if (chart is not null) files.Add(Path.GetFileName(Path.ChangeExtension(csvPath, ".svg")));
            BenchHtml.Write(htmlPath, report, chart, comparison, files);
            log.WriteLine($"wrote {htmlPath}");
        }
        return exit;
    }

    /// <summary>Resolves models (writing synthetic ones on first use), devices and scenarios.</summary>
    public static BenchPlan Plan(BenchOptions options, IBenchEngine engine, TextWriter log, bool interactive)
    {
        var available = engine.AvailableDevices();
        var devices = options.Devices.Count > 0 ? options.Devices : [.. available];
        foreach (string d in devices)
            if (!available.Contains(d))
                throw new InvalidOperationException($"device '{d}' is not usable on this machine (available: {string.Join(", ", available)})");

        List<BenchTarget> targets = options.Models.Count > 0
            ? [.. options.Models.Select(m => new BenchTarget(Path.GetFullPath(m), BenchTarget.FormatOf(m), ""))]
            : options.Quick
                ? SyntheticModelSet.Ensure(engine, options.ModelsDir, SyntheticModelSet.QuickPreset, SyntheticModelSet.QuickTypes, log, interactive)
                : SyntheticModelSet.Ensure(engine, options.ModelsDir, SyntheticModelSet.DefaultPreset,
                    options.AllTypes ? SyntheticModelSet.AllTypes : SyntheticModelSet.DefaultTypes, log, interactive);

        return new BenchPlan(targets, devices, options.Scenarios, options.Runs, options.Warmup, options.Threads);
    }

    private static IBenchEngine CreateDefaultEngine() => new MinervaEngineAdapter();
}
