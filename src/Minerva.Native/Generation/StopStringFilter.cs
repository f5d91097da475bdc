namespace Minerva.Native.Generation;

/// <summary>
/// Streams text while watching for stop strings: text that might be the start of a stop string is held back until it
/// is known not to be; when a stop string completes, everything before it is released and generation should end.
/// </summary>
public sealed class StopStringFilter(IReadOnlyList<string> stops)
{
    private string _held = "";

    /// <summary>Adds generated text; returns what may be shown now and whether a stop string was reached.</summary>
    public (string Emit, bool Stop) Push(string text)
    {
        if (stops.Count == 0) return (text, false);
        string s = _held + text;
        int stopAt = -1;
        foreach (string stop in stops)
        {
            if (stop.Length == 0) continue;
            int i = s.IndexOf(stop, StringComparison.Ordinal);
            if (i >= 0 && (stopAt < 0 || i < stopAt)) stopAt = i;
        }
        if (stopAt >= 0)
        {
            _held = "";
            return (s[..stopAt], true);
        }
        // Hold back the longest suffix that is a proper prefix of some stop string.
        int hold = 0;
        foreach (string stop in stops)
            for (int k = Math.Min(stop.Length - 1, s.Length); k > hold; k--)
                if (s.AsSpan(s.Length - k).SequenceEqual(stop.AsSpan(0, k))) { hold = k; break; }
        _held = s[(s.Length - hold)..];
        return (s[..(s.Length - hold)], false);
    }

    /// <summary>The held-back text plus <paramref name="tail"/> once generation ended without a stop string.</summary>
    public string Flush(string tail)
    {
        var (emit, _) = Push(tail);
        string rest = _held;
        _held = "";
        return emit + rest;
    }
}
