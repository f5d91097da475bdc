// A one-line text progress bar ("\r" redrawn on a terminal, a line per 10% when the output is redirected).
using System.Globalization;

namespace Minerva.Native.Cli.Bench;

/// <summary>Reports 0..1 progress of a long step (writing a synthetic model) as a bar.</summary>
public sealed class ConsoleProgressBar(TextWriter w, string label, bool interactive) : IProgress<double>
{
    private const int Width = 30;
    private readonly Lock _gate = new();
    private int _shown = -1;

    public void Report(double value)
    {
        int percent = (int)Math.Clamp(Math.Floor(value * 100), 0, 100);
        lock (_gate)
        {
            if (percent <= _shown || (!interactive && percent / 10 == _shown / 10 && percent != 100)) return;
            _shown = percent;
            int filled = percent * Width / 100;
            string line = $"  {label} [{new string('#', filled)}{new string('.', Width - filled)}] {percent.ToString(CultureInfo.InvariantCulture),3}%";
            if (interactive) w.Write("\r" + line);
            else w.WriteLine(line);
            w.Flush();
        }
    }

    /// <summary>Ends the bar's line.</summary>
    public void Done()
    {
        Report(1);
        if (interactive) w.WriteLine();
    }
}
