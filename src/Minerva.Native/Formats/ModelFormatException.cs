namespace Minerva.Native.Formats;

/// <summary>
/// The one exception a model reader raises for a file it cannot accept: it names the file,
/// the byte offset where the problem was found (or -1 when it is not tied to one) and what was wrong.
/// </summary>
public sealed class ModelFormatException : Exception
{
    public ModelFormatException(string path, long offset, string reason, Exception? inner = null)
        : base(Format(path, offset, reason), inner)
    {
        FilePath = path;
        Offset = offset;
        Reason = reason;
    }

    public string FilePath { get; }
    public long Offset { get; }
    public string Reason { get; }

    private static string Format(string path, long offset, string reason) =>
        offset >= 0 ? $"{path}: at byte {offset}: {reason}" : $"{path}: {reason}";
}
