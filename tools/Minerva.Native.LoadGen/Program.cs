// minerva-loadgen: streaming chat load on an OpenAI-compatible server at several concurrency levels, or the same closed
// loop on llama.cpp's batched decode (--peer-llamacpp); prints a table and writes CSV/JSON.
namespace Minerva.Native.LoadGen;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h")) { Console.Write(LoadGenOptions.Help); return 0; }
        LoadGenOptions o;
        try
        {
            o = LoadGenOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"minerva-loadgen: {e.Message}");
            return 2;
        }
        try
        {
            var report = o.PeerModel is null ? await HttpLoad.RunAsync(o, Console.Error) : await PeerLoad.RunAsync(o, Console.Error);
            Console.WriteLine(ReportWriter.Table(report.Summaries));
            if (o.Csv is { } csv) { ReportWriter.AppendCsv(csv, report.Summaries); Console.Error.WriteLine($"appended to {csv}"); }
            if (o.Json is { } json) { ReportWriter.WriteJson(json, report); Console.Error.WriteLine($"wrote {json}"); }
            return report.AllOk ? 0 : 1;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or HttpRequestException or IOException or NotSupportedException)
        {
            Console.Error.WriteLine($"minerva-loadgen: {e.Message}");
            return e is ArgumentException ? 2 : 3;
        }
    }
}
