// Encodes rows of floats into any supported ggml type (F32/F16/BF16 or a quant format), in parallel over row batches,
// streaming to the output (overlapped with the next batch) so memory stays near two batches of rows.
using Minerva.Native.Quantization;
using Minerva.Native.Tensors;

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
        // Two buffers: the previous batch is written while this one is encoded (writes stay in order, one at a time).
        byte[][] buffers = [new byte[(long)batch * rowBytes], new byte[(long)batch * rowBytes]];
        Task writing = Task.CompletedTask;
        try
        {
            for (long start = 0, k = 0; start < rows; start += batch, k++)
            {
                int n = (int)Math.Min(batch, rows - start);
                long first = start;
                var bytes = buffers[k & 1];
                Parallel.For(0, n, () => new float[cols], (i, _, floats) =>
                {
                    fill(first + i, floats);
                    traits.Quantize(floats, bytes.AsSpan(i * rowBytes, rowBytes));
                    return floats;
                }, _ => { });
                writing.GetAwaiter().GetResult();
                writing = Task.Run(() => output.Write(bytes, 0, n * rowBytes));
                progress?.Invoke(n);
            }
        }
        catch
        {
            // The encoding error is the one to report; the write in flight only has to end before the caller closes the stream.
            try { writing.Wait(); } catch (AggregateException) { }
            throw;
        }
        writing.GetAwaiter().GetResult();
    }
}
