// Encodes rows of floats into any supported ggml type (F32/F16/BF16 or a quant format), in parallel over row batches,
// streaming to the output so memory stays near one batch of rows.
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Quantization;

namespace Minerva.Native.Model;

public static class TensorEncoder
{
    /// <summary>
    /// Writes <paramref name="rows"/> rows of <paramref name="cols"/> values as <paramref name="type"/>; <paramref name="fill"/>
    /// produces row r's floats (called in parallel). <paramref name="progress"/> gets rows done.
    /// </summary>
    public static void WriteRows(Stream output, GgmlType type, long rows, long cols, Action<long, Span<float>> fill, Action<long>? progress = null)
    {
        var traits = QuantRegistry.Get(type);
        int rowBytes = checked((int)GgmlTypes.RowBytes(type, cols));
        int batch = (int)Math.Clamp((8L << 20) / Math.Max(1, cols * 4), 1, 4096);
        var bytes = new byte[(long)batch * rowBytes];
        for (long start = 0; start < rows; start += batch)
        {
            int n = (int)Math.Min(batch, rows - start);
            long first = start;
            Parallel.For(0, n, () => new float[cols], (i, _, floats) =>
            {
                fill(first + i, floats);
                traits.Quantize(floats, bytes.AsSpan(i * rowBytes, rowBytes));
                return floats;
            }, _ => { });
            output.Write(bytes, 0, n * rowBytes);
            progress?.Invoke(n);
        }
    }
}
