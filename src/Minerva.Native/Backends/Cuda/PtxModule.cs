// Loads each kernels/NAME.ptx once (NAME.sm90.ptx on compute capability >= 9.0 when present) and caches functions by name.
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
    /// <summary>kernels/ beside the engine assembly (where the build copies build/ptx/*.ptx).</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "kernels");

    private readonly string _directory;
    private readonly int _computeMajor;
    private readonly Dictionary<string, CudaModule> _modules = new();
    private readonly Dictionary<KernelRef, IntPtr> _functions = new();

    public PtxModule(string directory, int computeMajor)
    {
        _directory = directory;
        _computeMajor = computeMajor;
    }

    /// <summary>The file a module is loaded from on a device of the given compute capability.</summary>
    public static string PathFor(string directory, string module, int computeMajor)
    {
        string sm90 = Path.Combine(directory, module + ".sm90.ptx");
        return computeMajor >= 9 && File.Exists(sm90) ? sm90 : Path.Combine(directory, module + ".ptx");
    }


    public IntPtr Function(KernelRef kernel)
    {
        if (_functions.TryGetValue(kernel, out var f)) return f;
        if (!_modules.TryGetValue(kernel.Module, out var module))
        {
            string path = PathFor(_directory, kernel.Module, _computeMajor);
            if (!File.Exists(path)) throw new FileNotFoundException($"PTX module {kernel.Module} not found (looked for {path})", path);
            module = CudaModule.Load(Path.GetFileName(path), File.ReadAllBytes(path));
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
