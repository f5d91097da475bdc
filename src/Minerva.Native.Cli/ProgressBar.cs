namespace Minerva.Native.Cli;

/// <summary>A one-line progress bar on stderr (redrawn at most every 100 ms; silent when stderr is redirected).</summary>
public sealed class ProgressBar(string label) : IProgress<double>, IDisposable
{
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private long _lastDraw;
    private double _value;
    private bool _drawn;

    public void Report(double value)
    {
        _value = Math.Clamp(value, 0, 1);
        long now = Environment.TickCount64;
        if (!_interactive || (now - _lastDraw < 100 && _value < 1)) return;
        _lastDraw = now;
        Draw();
    }

    private void Draw()
    {
        const int width = 30;
        int filled = (int)(_value * width);
        lock (this) Console.Error.Write($"\r{label} [{new string('#', filled)}{new string('.', width - filled)}] {_value * 100,5:F1}%");
        _drawn = true;
    }

    public void Done()
    {
        if (!_interactive) return;
        _value = 1;
        Draw();
        Console.Error.WriteLine();
        _drawn = false;
    }

    public void Dispose()
    {
        if (_drawn) Console.Error.WriteLine();
    }
}
