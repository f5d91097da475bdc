// The CLI's one progress bar: "\r" redrawn on a terminal, a line per 10% when the output is redirected.
using System.Globalization;

namespace Minerva.Native.Cli;

/// <summary>Reports 0..1 progress of a long step (writing, quantizing a model) as a one-line bar.</summary>
public sealed class ProgressBar(TextWriter w, string label, bool interactive) : IProgress<double>, IDisposable
{
    private const int Width = 30;
    private readonly Lock _gate = new();
    private int _shown = -1;
    private bool _done;

    /// <summary>A bar on stderr, redrawn in place when stderr is a terminal.</summary>
    public ProgressBar(string label) : this(Console.Error, label, !Console.IsErrorRedirected) { }

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

    /// <summary>Shows 100% and ends the bar's line.</summary>
    public void Done()
    {
        Report(1);
        lock (_gate)
        {
            if (interactive && !_done) w.WriteLine();
            _done = true;
        }
    }

    /// <summary>Ends the bar's line where it stopped (an exception left it short of 100%).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (interactive && !_done && _shown >= 0) w.WriteLine();
            _done = true;
        }
    }
}
