// Text into XML/HTML: the five special characters as entities, characters XML 1.0 forbids dropped; coordinates in invariant culture.
using System.Globalization;
using System.Text;

namespace Minerva.Native.Cli.Bench.Report;

public static class Markup
{
    /// <summary>Safe in element text and in double- or single-quoted attributes, in SVG, XHTML and HTML alike.</summary>
    public static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length + 16);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                case '\t' or '\n' or '\r': sb.Append(c); break;
                case < ' ' or '\uFFFE' or '\uFFFF': break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) sb.Append(c).Append(text[++i]);
                    else if (!char.IsSurrogate(c)) sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>An SVG length or coordinate: at most two decimals, "." as separator.</summary>
    public static string Num(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);
}
