// The ops of IBackend on the CUDA stream (shapes checked on the host, work issued through GpuContext).
using Minerva.Native.Backends.Cuda.Interop;
using Minerva.Native.Execution;
using Minerva.Native.Tensors;
using Minerva.Native.Generation;

namespace Minerva.Native.Backends.Cuda;

internal sealed unsafe partial class CudaBackend
{
    private static void Require(bool ok, string what)
    {
        if (!ok) throw new ArgumentException(what);
    }

    public void Embed(IBackendWeight table, BackendTensor output)
    {
        _device.MakeCurrent();
        var w = W(table);
        var o = T(output);
        Require(o.Cols == w.Cols, $"embedding width {w.Cols} != output cols {o.Cols}");
        RequireStepRows(o.Rows);
        EmbedLaunch.Run(_gpu, w, _step.Pointer, o.Pointer, o.Rows);
    }

    public void RmsNorm(BackendTensor x, IBackendWeight weight, float eps, BackendTensor output)
    {
        _device.MakeCurrent();
        var (a, w, o) = (T(x), W(weight), T(output));
        Require(w.Type == GgmlType.F32 && w.Rows == 1 && w.Cols == a.Cols, $"norm weight {w.Source} does not match {a.Cols} columns");
        Require(o.Cols == a.Cols && o.Capacity >= a.Rows, "rms norm output shape");
        RmsNormLaunch.Run(_gpu, a.Pointer, w.Pointer, o.Pointer, a.Rows, a.Cols, eps);
    }

    public void MatMul(BackendTensor x, IBackendWeight weight, BackendTensor output)
    {
        _device.MakeCurrent();
        var (a, w, o) = (T(x), W(weight), T(output));
        Require(a.Cols == w.Cols, $"x has {a.Cols} columns, weight {w.Source.Name} rows have {w.Cols}");
        Require(o.Cols == w.Rows && o.Capacity >= a.Rows, $"output [{o.Capacity}, {o.Cols}] cannot hold [{a.Rows}, {w.Rows}]");
        int rows = a.Rows;
        if (rows == 0) return;
        switch (MatMulLaunch.Path(w.Type, rows))
        {
            case MatMulPath.MatVec:
                MatMulLaunch.MatVec(_gpu, w, a.Pointer, o.Pointer);
                return;
            case MatMulPath.MatVec8:
                foreach (var (first, count) in MatMulLaunch.MatVec8Chunks(rows))
                    MatMulLaunch.MatVec8(_gpu, w, a.Row(first), o.Row(first), count);
                return;
        }
        switch (w.Type)
        {
            case GgmlType.F32:
                MatMulLaunch.Gemm(_gpu, w.Pointer, a.Pointer, CudaDataType.R32F, o.Pointer, rows, w.Rows, w.Cols);
                break;
            case GgmlType.BF16:
            {
                var xs = Scratch(ref _lowpActivations, (long)rows * a.Cols * 2);
                ElementwiseLaunch.Convert(_gpu, Kernels.ConvertF32ToBF16, a.Pointer, xs.Pointer, (long)rows * a.Cols);
                MatMulLaunch.Gemm(_gpu, w.Pointer, xs.Pointer, CudaDataType.R16BF, o.Pointer, rows, w.Rows, w.Cols);
                break;
            }
            default:
            {
                ulong weights = w.Pointer;
                if (w.Type != GgmlType.F16)
                {
                    weights = Scratch(ref _f16Weight, (long)w.Rows * w.Cols * 2).Pointer;
                    MatMulLaunch.DequantizeToF16(_gpu, w, weights);
                }
                var xs = Scratch(ref _lowpActivations, (long)rows * a.Cols * 2);
                ElementwiseLaunch.Convert(_gpu, Kernels.ConvertF32ToF16, a.Pointer, xs.Pointer, (long)rows * a.Cols);
                MatMulLaunch.Gemm(_gpu, weights, xs.Pointer, CudaDataType.R16F, o.Pointer, rows, w.Rows, w.Cols);
                break;
            }
        }
    }

    public void Rope(BackendTensor x, int heads, int headDim, RopeParameters rope)
    {
        _device.MakeCurrent();
        var a = T(x);
        Require(heads * headDim <= a.Cols, $"{heads} heads x {headDim} > {a.Cols} columns");
        ulong factors = 0;
        if (rope.FreqFactors is { } ff)
        {
            var f = W(ff);
            RopeLaunch.ValidateFreqFactors(f.Type, (long)f.Rows * f.Cols, headDim);
            factors = f.Pointer;
        }
        RequireStepRows(a.Rows);
        RopeLaunch.Run(_gpu, a.Pointer, _step.Pointer, factors, a.Rows, a.Cols, heads, headDim, rope);
    }

    public void StoreKv(IKvCache cache, int layer, BackendTensor k, BackendTensor v)
    {
        _device.MakeCurrent();
        var (c, kt, vt) = (C(cache), T(k), T(v));
        Require(kt.Cols == c.KvDim && vt.Cols == c.KvDim && vt.Rows == kt.Rows, $"k/v [{kt.Rows}, {kt.Cols}] / [{vt.Rows}, {vt.Cols}] vs kv dim {c.KvDim}");
        RequireStepRows(kt.Rows);
        ElementwiseLaunch.StoreKv(_gpu, kt.Pointer, vt.Pointer, c.LayerK(layer), c.LayerV(layer), _step.Pointer, kt.Rows, c.KvDim, c.ContextLength);
    }

    public void Attention(BackendTensor q, IKvCache cache, int layer, AttentionShape shape, BackendTensor output)
    {
        _device.MakeCurrent();
        var (qt, c, o) = (T(q), C(cache), T(output));
        int width = shape.Heads * shape.HeadDim;
        Require(qt.Cols == width && o.Cols == width && o.Capacity >= qt.Rows, $"q/output columns must be heads x head dim = {width}");
        Require(shape.KvHeads * shape.HeadDim == c.KvDim, $"{shape.KvHeads} KV heads x {shape.HeadDim} != kv dim {c.KvDim}");
        AttentionLaunch.Validate(shape.Heads, shape.KvHeads, shape.HeadDim, shape.Window);
        int rows = qt.Rows;
        RequireStepRows(rows);
        if (AttentionLaunch.UsesDecode(rows, shape.Heads, shape.HeadDim, c.ContextLength))
        {
            long floats = AttentionLaunch.PartialFloats(AttentionLaunch.PartialRows(rows), shape.Heads, shape.HeadDim, c.ContextLength);
            var partial = Scratch(ref _attnPartial, floats * sizeof(float));
            AttentionLaunch.Decode(_gpu, qt.Pointer, c.LayerK(layer), c.LayerV(layer), partial.Pointer, o.Pointer, _step.Pointer,
                rows, shape.Heads, shape.KvHeads, shape.HeadDim, c.KvDim, c.ContextLength, shape.Window);
        }
        else
        {
            AttentionLaunch.Prefill(_gpu, qt.Pointer, c.LayerK(layer), c.LayerV(layer), o.Pointer, _step.Pointer,
                rows, shape.Heads, shape.KvHeads, shape.HeadDim, c.KvDim, c.ContextLength, shape.Window);
        }
    }

    public void SiluMul(BackendTensor gate, BackendTensor up, BackendTensor output)
    {
        _device.MakeCurrent();
        var (g, u, o) = (T(gate), T(up), T(output));
        Require(g.Cols == u.Cols && g.Cols == o.Cols && u.Rows >= g.Rows && o.Capacity >= g.Rows, "silu_mul shapes");
        ElementwiseLaunch.SiluMul(_gpu, g.Pointer, u.Pointer, o.Pointer, (long)g.Rows * g.Cols);
    }

    public void Add(BackendTensor x, BackendTensor y)
    {
        _device.MakeCurrent();
        var (a, b) = (T(x), T(y));
        Require(a.Cols == b.Cols && b.Rows >= a.Rows, "add shapes");
        ElementwiseLaunch.Add(_gpu, a.Pointer, b.Pointer, (long)a.Rows * a.Cols);
    }

    public void AddBias(BackendTensor x, IBackendWeight bias)
    {
        _device.MakeCurrent();
        var (a, w) = (T(x), W(bias));
        // Load converts every vector (F32/F16/BF16 in the file) to F32 on the device.
        Require(w.Type == GgmlType.F32 && w.Rows == 1 && w.Cols == a.Cols, $"bias {w.Source.Name} [{w.Rows}, {w.Cols}] does not fit rows of {a.Cols}");
        ElementwiseLaunch.AddBias(_gpu, a.Pointer, w.Pointer, a.Rows, a.Cols);
    }

    public void GatherRows(BackendTensor src, ReadOnlySpan<int> rows, BackendTensor dst)
    {
        _device.MakeCurrent();
        var (s, d) = (T(src), T(dst));
        Require(s.Cols == d.Cols && rows.Length <= d.Capacity, $"gather of {rows.Length} rows of {s.Cols} into [{d.Capacity}, {d.Cols}]");
        for (int i = 0; i < rows.Length; i++)
        {
            Require((uint)rows[i] < (uint)s.Capacity, $"row {rows[i]} of {s.Capacity}");
            _gpu.CopyDeviceToDevice(d.Row(i), s.Row(rows[i]), (long)s.Cols * sizeof(float));
        }
        d.Rows = rows.Length;
    }

    public void CopyRows(BackendTensor src, int srcRow, BackendTensor dst, int count)
    {
        _device.MakeCurrent();
        var (s, d) = (T(src), T(dst));
        Require(s.Cols == d.Cols, $"copy between {s.Cols} and {d.Cols} columns");
        Require(srcRow >= 0 && count >= 0 && srcRow + count <= s.Capacity && count <= d.Capacity, $"rows {srcRow}..{srcRow + count} out of range");
        _gpu.CopyDeviceToDevice(d.Pointer, s.Row(srcRow), (long)count * s.Cols * sizeof(float));
    }

    public void ReadRow(BackendTensor x, int row, Span<float> destination)
    {
        _device.MakeCurrent();
        var a = T(x);
        RequireOutsideStep();
        if ((uint)row >= (uint)a.Capacity) throw new ArgumentOutOfRangeException(nameof(row));
        Require(destination.Length >= a.Cols, $"destination {destination.Length} < {a.Cols} columns");
        long bytes = (long)a.Cols * sizeof(float);
        if (_readback is null || _readback.Bytes < bytes)
        {
            _readback?.Dispose();
            _readback = new PinnedHostBuffer(bytes);
        }
        CuDriver.Check(CuDriver.cuMemcpyDtoHAsync_v2(_readback.Pointer, a.Row(row), (nuint)bytes, _gpu.Stream.Handle), "cuMemcpyDtoHAsync_v2");
        _gpu.Stream.Synchronize();
        new ReadOnlySpan<float>(_readback.Pointer, a.Cols).CopyTo(destination);
    }

    public int ArgMax(BackendTensor x, int row)
    {
        _device.MakeCurrent();
        var a = T(x);
        RequireOutsideStep();
        if ((uint)row >= (uint)a.Capacity) throw new ArgumentOutOfRangeException(nameof(row));
        var result = Scratch(ref _argMaxOut, sizeof(int));
        _gpu.Launch(Kernels.ArgMax, new(1), new(1024), 0, a.Row(row), Arg.I(a.Cols), result.Pointer);
        return ReadBackToken(result.Pointer);
    }

    public bool TrySample(BackendTensor logits, int row, SamplingParameters p, float uniform, out int token)
    {
        _device.MakeCurrent();
        var a = T(logits);
        RequireOutsideStep();
        if ((uint)row >= (uint)a.Capacity) throw new ArgumentOutOfRangeException(nameof(row));
        // [0] = the draw u (written here), [1] = the sampled token (copied back): the only transfers of the step.
        var io = Scratch(ref _sampleIo, 2 * sizeof(int));
        io.Upload(&uniform, sizeof(float));
        _gpu.Launch(Kernels.SampleTopKTopP, new(1), new(1024), 0, a.Row(row), Arg.I(a.Cols), Arg.F(p.Temperature), Arg.I(p.TopK),
            Arg.F(p.TopP), Arg.F(p.MinP), io.Pointer, io.Pointer + sizeof(int));
        token = ReadBackToken(io.Pointer + sizeof(int));
        return true;
    }

    // The one device-to-host copy of a step: a token id, after the stream has finished.
    private int ReadBackToken(ulong source)
    {
        int token;
        CuDriver.Check(CuDriver.cuMemcpyDtoHAsync_v2(&token, source, sizeof(int), _gpu.Stream.Handle), "cuMemcpyDtoHAsync_v2");
        _gpu.Stream.Synchronize();
        return token;
    }

    // The per-row kernels read rows [0, rows) of the step buffer.
    private void RequireStepRows(int rows) => Require(rows <= _tokenCount, $"{rows} rows but the step has {_tokenCount}");

    private void RequireOutsideStep()
    {
        if (_gpu.Mode != IssueMode.Direct) throw new InvalidOperationException("ReadRow/ArgMax wait for the device and cannot be part of a step");
    }
}
