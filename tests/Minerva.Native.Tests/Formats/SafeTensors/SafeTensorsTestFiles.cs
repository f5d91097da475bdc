// Helpers that build raw safetensors bytes (u64 LE length + JSON + data) for the reader tests.
using System.Buffers.Binary;
using System.Text;
using Minerva.Native.Formats;
using Minerva.Native.Formats.SafeTensors;

namespace Minerva.Native.Tests.Formats.SafeTensors;

internal static class SafeTensorsTestFiles
{
    /// <summary>u64 LE length of <paramref name="json"/>, the JSON as UTF-8, then <paramref name="dataBytes"/> bytes 0,1,2...</summary>
    public static byte[] Raw(string json, int dataBytes)
    {
        byte[] j = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + j.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)j.Length);
        j.CopyTo(bytes, 8);
        for (int i = 0; i < dataBytes; i++) bytes[8 + j.Length + i] = (byte)i;
        return bytes;
    }

    public static string Save(string dir, string name, byte[] bytes)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Opens the bytes; returns null when the reader accepted them, else the exception it threw.</summary>
    public static Exception? TryOpen(string path)
    {
        try
        {
            using var f = SafeTensorsFile.Open(path);
            CheckInvariants(f);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>What an accepted file must satisfy whatever its content: tensors tile the data section inside the file.</summary>
    public static void CheckInvariants(SafeTensorsFile f)
    {
        long covered = 0;
        foreach (var t in f.Tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (t.Begin != covered || t.End < t.Begin) throw new AssertionException($"bad tiling at {t}");
            covered = t.End;
            long bytes = t.DType.ByteSize(t.ElementCount);
            if (bytes != t.ByteSize) throw new AssertionException($"bad size {t}");
            if (f.DataStart + t.End > f.FileLength) throw new AssertionException($"past end {t}");
            if (t.ByteSize <= int.MaxValue)
            {
                var span = f.TensorSpan(t);
                int sum = 0;
                foreach (byte b in span) sum += b;
                GC.KeepAlive(sum);
            }
        }
        if (f.DataStart + covered != f.FileLength) throw new AssertionException("data section not covered");
    }

    public static ModelFormatException ExpectFormatError(string path)
    {
        Exception? e = TryOpen(path);
        Assert.That(e, Is.Not.Null, $"{path} was accepted");
        Assert.That(e, Is.TypeOf<ModelFormatException>(), e!.ToString());
        var mfe = (ModelFormatException)e!;
        Assert.That(mfe.FilePath, Is.EqualTo(path));
        return mfe;
    }
}
