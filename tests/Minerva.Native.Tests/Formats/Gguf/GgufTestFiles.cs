// Test inputs for the GGUF reader and writer: a small file using every value type, and a raw byte builder for hand-made headers.
using System.Buffers.Binary;
using System.Text;
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Formats.Gguf;

internal static class GgufTestFiles
{
    /// <summary>Metadata with every value type, empty strings/arrays, arrays of strings and nested arrays.</summary>
    /// <param name="nested">gguf.cpp rejects arrays of arrays: leave them out for files llama.cpp must read.</param>
    public static GgufWriter SampleWriter(uint version = 3, uint? alignment = null, bool nested = true)
    {
        var w = new GgufWriter(version);
        w.AddMetadata("general.architecture", "llama");
        if (alignment is uint a) w.AddMetadata("general.alignment", a);
        w.AddMetadata("t.u8", GgufValue.Of((byte)200));
        w.AddMetadata("t.i8", GgufValue.Of((sbyte)-100));
        w.AddMetadata("t.u16", GgufValue.Of((ushort)60000));
        w.AddMetadata("t.i16", GgufValue.Of((short)-30000));
        w.AddMetadata("t.u32", 4000000000u);
        w.AddMetadata("t.i32", -2000000000);
        w.AddMetadata("t.f32", 1e-5f);
        w.AddMetadata("t.bool", true);
        w.AddMetadata("t.str", "h\u00e9llo \u2581w\U0001F600");
        w.AddMetadata("t.empty_str", "");
        w.AddMetadata("t.u64", ulong.MaxValue);
        w.AddMetadata("t.i64", long.MinValue);
        w.AddMetadata("t.f64", Math.PI);
        w.AddMetadata("t.i32_as_u32", 7);
        w.AddMetadata("a.u8", GgufArray.Of(new byte[] { 1, 2, 255 }));
        w.AddMetadata("a.i8", GgufArray.Of(new sbyte[] { -1, 0, 1 }));
        w.AddMetadata("a.u16", GgufArray.Of(new ushort[] { 1, 65535 }));
        w.AddMetadata("a.i16", GgufArray.Of(new short[] { -5, 5 }));
        w.AddMetadata("a.u32", new uint[] { 0, 1, uint.MaxValue });
        w.AddMetadata("a.i32", new[] { -1, 0, int.MaxValue });
        w.AddMetadata("a.f32", new[] { 0.5f, -0f, float.NaN, float.PositiveInfinity });
        w.AddMetadata("a.bool", GgufArray.Of(new[] { true, false, true }));
        w.AddMetadata("a.str", new[] { "a", "", "\u2581b", "<0x0A>" });
        w.AddMetadata("a.u64", GgufArray.Of(new[] { ulong.MaxValue, 0UL }));
        w.AddMetadata("a.i64", GgufArray.Of(new[] { long.MinValue, 1L }));
        w.AddMetadata("a.f64", GgufArray.Of(new[] { 1.5, double.Epsilon }));
        w.AddMetadata("a.empty_f32", Array.Empty<float>());
        w.AddMetadata("a.empty_str", Array.Empty<string>());
        if (nested) w.AddMetadata("a.nested", GgufArray.Of(
            GgufArray.Of(new[] { 1, 2 }),
            GgufArray.Of(Array.Empty<int>()),
            GgufArray.Of(GgufArray.Of(new[] { "x", "" }), GgufArray.Of(Array.Empty<GgufArray>()))));
        w.AddTensor("token_embd.weight", GgmlType.F32, [4, 3]);
        w.AddTensor("blk.0.attn_q.weight", GgmlType.Q4_0, [64, 2]);
        w.AddTensor("odd.f16", GgmlType.F16, [7]);
        w.AddTensor("blk.0.four_dims", GgmlType.I8, [5, 1, 1, 2]);
        return w;
    }

    /// <summary>Deterministic contents for tensor <paramref name="index"/>: byte k is (index * 37 + k * 11 + 1) mod 256.</summary>
    public static byte[] TensorBytes(GgufTensorInfo t)
    {
        var bytes = new byte[t.ByteSize];
        for (int k = 0; k < bytes.Length; k++) bytes[k] = (byte)(t.Index * 37 + k * 11 + 1);
        return bytes;
    }

    public static byte[] WriteToBytes(GgufWriter w)
    {
        using var ms = new MemoryStream();
        w.Write(ms, i => TensorBytes(w.Tensors[i]));
        return ms.ToArray();
    }

    /// <summary>Byte equality reported at the first difference (NUnit's element-wise compare is slow on large arrays).</summary>
    public static void AssertSameBytes(byte[] actual, byte[] expected, string what)
    {
        int n = Math.Min(actual.Length, expected.Length);
        int diff = actual.AsSpan(0, n).CommonPrefixLength(expected.AsSpan(0, n));
        Assert.That((actual.Length, diff), Is.EqualTo((expected.Length, n)),
            $"{what}: lengths {actual.Length} vs {expected.Length}, first difference at byte {diff}");
    }

    public static string WriteTemp(string dir, string name, byte[] bytes)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}

/// <summary>Little-endian byte builder for hand-made (often hostile) GGUF headers; records field positions.</summary>
internal sealed class RawGguf
{
    private readonly List<byte> _bytes = [];
    public long Position => _bytes.Count;

    public RawGguf Bytes(ReadOnlySpan<byte> b) { _bytes.AddRange(b.ToArray()); return this; }
    public RawGguf U32(uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); return Bytes(b); }
    public RawGguf U64(ulong v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, v); return Bytes(b); }
    public RawGguf Str(string s) { var b = Encoding.UTF8.GetBytes(s); U64((ulong)b.Length); return Bytes(b); }
    public RawGguf Header(ulong tensors, ulong kvs, uint version = 3) => Bytes("GGUF"u8).U32(version).U64(tensors).U64(kvs);
    public RawGguf KvU32(string key, uint v) => Str(key).U32((uint)GgufValueType.UInt32).U32(v);

    /// <summary>A tensor info; returns the position of its n_dims field via <paramref name="dimsAt"/> and of its offset field via <paramref name="offsetAt"/>.</summary>
    public RawGguf Tensor(string name, GgmlType type, ulong[] dims, ulong offset, out long dimsAt, out long offsetAt)
    {
        Str(name);
        dimsAt = Position;
        U32((uint)dims.Length);
        foreach (var d in dims) U64(d);
        U32((uint)type);
        offsetAt = Position;
        return U64(offset);
    }

    public RawGguf PadTo(int alignment) { while (_bytes.Count % alignment != 0) _bytes.Add(0); return this; }
    public RawGguf Zeros(int n) { for (int i = 0; i < n; i++) _bytes.Add(0); return this; }
    public byte[] ToArray() => _bytes.ToArray();
}
