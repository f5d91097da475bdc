// Where the PTX modules come from: the resources kernels/NAME.ptx inside this assembly, or a folder of NAME.ptx files
// (MINERVA_KERNELS_DIR, for kernel development); NAME.sm90.ptx is preferred on compute capability >= 9.0 when present.
using System.Reflection;

namespace Minerva.Native.Backends.Cuda;

/// <summary>The PTX files the CUDA backend loads: embedded in the engine (<see cref="Directory"/> null) or from a folder.</summary>
internal sealed class PtxSource
{
    /// <summary>The environment variable naming a folder of .ptx files that replaces the embedded kernels.</summary>
    public const string OverrideVariable = "MINERVA_KERNELS_DIR";

    private const string ResourcePrefix = "kernels/";
    private static readonly Assembly Engine = typeof(PtxSource).Assembly;

    private PtxSource(string? directory) => Directory = directory;

    /// <summary>The override folder, or null for the kernels embedded in the engine assembly.</summary>
    public string? Directory { get; }

    public static PtxSource Embedded { get; } = new(null);

    public static PtxSource FromDirectory(string directory) => new(Path.GetFullPath(directory));

    /// <summary>$MINERVA_KERNELS_DIR when set, else the embedded kernels.</summary>
    public static PtxSource Default =>
        Environment.GetEnvironmentVariable(OverrideVariable) is { Length: > 0 } dir ? FromDirectory(dir) : Embedded;

    public string Description => Directory is null ? $"{Engine.GetName().Name}.dll (embedded)" : Directory;

    /// <summary>The .ptx file names available, sorted.</summary>
    public IReadOnlyList<string> Files =>
        (Directory is null
            ? Engine.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".ptx", StringComparison.Ordinal)).Select(n => n[ResourcePrefix.Length..])
            : System.IO.Directory.Exists(Directory) ? System.IO.Directory.GetFiles(Directory, "*.ptx").Select(f => Path.GetFileName(f)) : [])
        .Order(StringComparer.Ordinal).ToArray();

    /// <summary>Null when there are kernels to load, else why the CUDA backend cannot run.</summary>
    public string? Unavailable() => Files.Count > 0 ? null
        : Directory is null ? $"no PTX kernels embedded in {Engine.GetName().Name}.dll (built without nvcc: see CMakeLists.txt, or set {OverrideVariable})"
        : $"no PTX kernels in {Directory} ({OverrideVariable} or the folder given)";

    public bool Contains(string file) => Directory is null
        ? Engine.GetManifestResourceInfo(ResourcePrefix + file) is not null
        : File.Exists(Path.Combine(Directory, file));

    /// <summary>The file a module is loaded from on a device of the given compute capability.</summary>
    public string FileFor(string module, int computeMajor) =>
        computeMajor >= 9 && Contains(module + ".sm90.ptx") ? module + ".sm90.ptx" : module + ".ptx";

    /// <summary>The bytes of one .ptx file; <see cref="FileNotFoundException"/> when it is not there.</summary>
    public byte[] Read(string file)
    {
        if (Directory is not null)
        {
            string path = Path.Combine(Directory, file);
            if (!File.Exists(path)) throw new FileNotFoundException($"PTX file {file} not found in {Directory}", path);
            return File.ReadAllBytes(path);
        }
        using var stream = Engine.GetManifestResourceStream(ResourcePrefix + file)
            ?? throw new FileNotFoundException($"PTX file {file} not found in {Description}", file);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    public override string ToString() => Description;
}
