// Loads each PTX module once from its PtxSource (NAME.sm90.ptx on compute capability >= 9.0 when present) and caches functions by name.
using Minerva.Native.Backends.Cuda.Interop;

namespace Minerva.Native.Backends.Cuda;

/// <summary>A kernel by its PTX file (without extension) and its <c>extern "C"</c> name.</summary>
internal readonly record struct KernelRef(string Module, string Function)
{
    public override string ToString() => $"{Module}.ptx:{Function}";
}

/// <summary>The PTX modules of one context, loaded lazily; functions looked up once and cached.</summary>
internal sealed class PtxModule : IDisposable
{
    private readonly PtxSource _source;
    private readonly int _computeMajor;
    private readonly Dictionary<string, CudaModule> _modules = new();
    private readonly Dictionary<KernelRef, IntPtr> _functions = new();

    public PtxModule(PtxSource source, int computeMajor)
    {
        _source = source;
        _computeMajor = computeMajor;
    }

    public IntPtr Function(KernelRef kernel)
    {
        if (_functions.TryGetValue(kernel, out var f)) return f;
        if (!_modules.TryGetValue(kernel.Module, out var module))
        {
            string file = _source.FileFor(kernel.Module, _computeMajor);
            module = CudaModule.Load(file, _source.Read(file));
            _modules.Add(kernel.Module, module);
        }
        f = module.GetFunction(kernel.Function);
        _functions.Add(kernel, f);
        return f;
    }

    public void Dispose()
    {
        foreach (var m in _modules.Values) m.Dispose();
        _modules.Clear();
        _functions.Clear();
    }
}
