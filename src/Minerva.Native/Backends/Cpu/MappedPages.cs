// Drops a file mapping's pages from the process once their repacked copy replaces them (madvise MADV_DONTNEED on the
// whole pages inside the range): the file stays mapped and a later read faults the page back in from the page cache.
using System.Runtime.InteropServices;

namespace Minerva.Native.Backends.Cpu;

internal static unsafe partial class MappedPages
{
    private const int MadvDontNeed = 4;

    /// <summary>Releases the whole pages of [data, data + bytes) where the OS allows it (Linux); elsewhere does nothing.</summary>
    public static void Release(byte* data, long bytes)
    {
        if (!OperatingSystem.IsLinux() || bytes <= 0) return;
        long page = Environment.SystemPageSize;
        long start = ((long)data + page - 1) / page * page, end = ((long)data + bytes) / page * page;
        if (end <= start) return;
        try { _ = Madvise((nint)start, (nuint)(end - start), MadvDontNeed); }
        catch (DllNotFoundException) { }
        catch (EntryPointNotFoundException) { }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
