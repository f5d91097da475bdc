// Shared plumbing of the GPU tests: probe (skip when no GPU), weights from managed arrays, tensors with guard rows, comparisons.
using System.Runtime.InteropServices;
using Minerva.Native.Backends.Cuda;
using Minerva.Native.Model;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Cuda;

[Category("Gpu")]
public abstract unsafe class CudaTestBase
{
    protected const float Poison = -7.77e30f; // written past the end of every output; must survive every op

    private readonly List<IntPtr> _native = new();
    private CudaBackend? _backend;
    private protected CudaBackend Backend => _backend ?? throw new InvalidOperationException("no backend");

    [OneTimeSetUp]
    public void OpenGpu()
    {
        var availability = CudaDevice.Probe();
        if (!availability.IsAvailable) Assert.Ignore($"no CUDA GPU: {availability.Reason}");
        _backend = CudaBackend.Create();
        TestContext.Progress.WriteLine($"CUDA device: {_backend.DeviceName}");
    }

    [OneTimeTearDown]
    public void CloseGpu()
    {
        _backend?.Dispose();
        foreach (var p in _native) NativeMemory.Free((void*)p);
        _native.Clear();
    }

    protected static float[] Random(int seed, int n, float scale = 1f)
    {
        var rng = new System.Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return v;
    }

    /// <summary>A weight of <paramref name="type"/> (F32, F16 or BF16) holding <paramref name="values"/> rounded to that type;
    /// <paramref name="rounded"/> receives the values the device sees.</summary>
    protected WeightTensor Weight(string name, GgmlType type, int rows, int cols, float[] values, out float[] rounded)
    {
        long n = (long)rows * cols;
        int elementBytes = type == GgmlType.F32 ? 4 : 2;
        byte* data = (byte*)NativeMemory.Alloc((nuint)(n * elementBytes));
        _native.Add((IntPtr)data);
        rounded = new float[n];
        for (long i = 0; i < n; i++)
        {
            switch (type)
            {
                case GgmlType.F32: ((float*)data)[i] = values[i]; rounded[i] = values[i]; break;
                case GgmlType.F16: ((Half*)data)[i] = (Half)values[i]; rounded[i] = (float)(Half)values[i]; break;
                case GgmlType.BF16:
                    ushort b = ToBf16(values[i]);
                    ((ushort*)data)[i] = b;
                    rounded[i] = BitConverter.Int32BitsToSingle(b << 16);
                    break;
                default: throw new ArgumentException($"test weights of {type} not supported");
            }
        }
        long[] dims = rows == 1 ? [cols] : [cols, rows];
        return new WeightTensor(name, type, dims, data, n * elementBytes);
    }

    /// <summary>Round to nearest even, as __float2bfloat16_rn.</summary>
    protected static ushort ToBf16(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    protected static float RoundF16(float f) => (float)(Half)f;

    /// <summary>A tensor of <paramref name="capacity"/> rows whose first <paramref name="rows"/> hold <paramref name="data"/> and the rest <see cref="Poison"/>.</summary>
    internal CudaTensor Tensor(int capacity, int cols, int rows, float[]? data = null)
    {
        var t = (CudaTensor)Backend.Allocate(capacity, cols);
        var host = new float[(long)capacity * cols];
        Array.Fill(host, Poison);
        data?.AsSpan(0, rows * cols).CopyTo(host);
        t.Buffer.Upload<float>(host);
        t.Rows = rows;
        return t;
    }

    internal float[] Download(CudaTensor t)
    {
        Backend.Synchronize();
        var host = new float[(long)t.Capacity * t.Cols];
        t.Buffer.Download<float>(host);
        return host;
    }

    /// <summary>Checks rows [rows, capacity) still hold the poison (no write past the end).</summary>
    internal void AssertGuard(string what, CudaTensor t, int rows)
    {
        var all = Download(t);
        for (long i = (long)rows * t.Cols; i < all.Length; i++)
            if (all[i] != Poison) Assert.Fail($"{what}: out-of-bounds write at element {i} (row {i / t.Cols}, col {i % t.Cols}) of a [{t.Capacity}, {t.Cols}] tensor with {rows} valid rows: {all[i]}");
    }

    /// <summary>|actual - expected| <= tolerance(i) for every element, and no NaN/Inf; the message names the first failure.</summary>
    protected static void AssertClose(string what, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, Func<int, double> tolerance)
    {
        Assert.That(actual.Length, Is.GreaterThanOrEqualTo(expected.Length), what);
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            if (!float.IsFinite(actual[i])) Assert.Fail($"{what}: element {i} is {actual[i]} (expected {expected[i]})");
            double err = Math.Abs((double)actual[i] - expected[i]);
            double tol = tolerance(i);
            if (err > tol) Assert.Fail($"{what}: element {i}: expected {expected[i]:R}, got {actual[i]:R}, |error| {err:E3} > tolerance {tol:E3}");
            if (err > worst) { worst = err; worstAt = i; }
        }
        TestContext.Out.WriteLine($"{what}: max |error| {worst:E3} at {worstAt}");
    }
}
