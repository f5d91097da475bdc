// Resolves the logical library name "cuda" of the [LibraryImport]s to the driver's real file name per OS.
using System.Reflection;
using System.Runtime.InteropServices;

namespace Minerva.Native.Backends.Cuda.Interop;

/// <summary>The one DllImport resolver of this assembly (an assembly can register only one).</summary>
internal static class NativeLibraries
{
    internal const string CudaDriver = "cuda";

    private static readonly string[] DriverNames = OperatingSystem.IsWindows()
        ? ["nvcuda.dll"]
        : ["libcuda.so.1", "libcuda.so"];

    private static readonly object Gate = new();
    private static bool _registered;
    private static IntPtr _driver;

    /// <summary>Registers the resolver once; safe to call from every static constructor that needs it.</summary>
    internal static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (_registered) return;
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
            _registered = true;
        }
    }

    /// <summary>Loads the CUDA driver library; returns false (with the names tried) instead of throwing.</summary>
    internal static bool TryLoadDriver(out IntPtr handle, out string tried)
    {
        lock (Gate)
        {
            tried = string.Join(", ", DriverNames);
            if (_driver != IntPtr.Zero) { handle = _driver; return true; }
            foreach (var name in DriverNames)
                if (NativeLibrary.TryLoad(name, out _driver)) { handle = _driver; return true; }
            handle = IntPtr.Zero;
            return false;
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName == CudaDriver && TryLoadDriver(out var handle, out _)) return handle;
        return IntPtr.Zero; // default probing (and a DllNotFoundException naming the library) for anything else
    }
}
