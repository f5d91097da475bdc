// Server-sent events (WHATWG HTML §9.2): lines end in LF, CR or CRLF; "data:" lines (one optional space after the colon)
// join with LF into one event, dispatched at a blank line; ":" lines are comments; an event cut off by the end is dropped.
using System.Runtime.CompilerServices;
using System.Text;

namespace Minerva.Native.LoadGen;

internal static class SseReader
{
    /// <summary>The data of each event on the stream, in order (other fields, such as event: and id:, are ignored).</summary>
    public static async IAsyncEnumerable<string> ReadDataAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        var data = new StringBuilder();
        bool hasData = false;
        while (await reader.ReadLineAsync(cancellation).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                if (hasData) yield return data.ToString();
                data.Clear();
                hasData = false;
                continue;
            }
            if (line[0] == ':') continue;
            int colon = line.IndexOf(':');
            string field = colon < 0 ? line : line[..colon];
            if (field != "data") continue;
            string value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' ')) value = value[1..];
            if (hasData) data.Append('\n');
            data.Append(value);
            hasData = true;
        }
    }
}
