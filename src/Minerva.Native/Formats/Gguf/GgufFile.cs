// A memory-mapped, validated GGUF v2/v3 file: metadata, tensor infos and zero-copy tensor data (layout from ggml's gguf.cpp / GGUF spec).
using System.IO.MemoryMappedFiles;

namespace Minerva.Native.Formats.Gguf;

/// <summary>
/// An open GGUF file. The whole file is mapped read-only; <see cref="TensorData"/> points into the mapping
/// and stays valid until <see cref="Dispose"/>. <see cref="Open"/> throws only <see cref="ModelFormatException"/>.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly GgufHeader _header;
    private byte* _base; // [FileSize] bytes; null once disposed

    private GgufFile(string path, long fileSize, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePtr, GgufHeader header)
    {
        Path = path;
        FileSize = fileSize;
        _map = map;
        _view = view;
        _base = basePtr;
        _header = header;
    }

    public string Path { get; }
    public long FileSize { get; }
    /// <summary>2 or 3.</summary>
    public uint Version => _header.Version;
    public GgufMetadata Metadata => _header.Metadata;
    public IReadOnlyList<GgufTensorInfo> Tensors => _header.Tensors;
    /// <summary>general.alignment, or 32 when absent.</summary>
    public int Alignment => _header.Alignment;
    /// <summary>Bytes of the header: magic, counts, metadata and tensor infos, before the alignment padding.</summary>
    public long HeaderSize => _header.HeaderSize;
    /// <summary>File offset of the data section (header size rounded up to <see cref="Alignment"/>).</summary>
    public long DataOffset => _header.DataOffset;

    /// <summary>Maps and validates <paramref name="path"/>.</summary>
    /// <exception cref="ModelFormatException">The file cannot be read or is not a valid GGUF v2/v3 file.</exception>
    public static GgufFile Open(string path)
    {
        string shownPath = path ?? "<null>";
        FileStream? stream = null;
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        byte* basePtr = null;
        bool ok = false;
        try
        {
            stream = new FileStream(path!, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            long size = stream.Length;
            if (size < 24) throw new ModelFormatException(shownPath, size, $"file is {size} bytes, too short for a GGUF header (24)");
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            stream = null;
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
            byte* start = basePtr + view.PointerOffset;
            var header = GgufParser.Parse(new ReadOnlySpan<byte>(start, (int)Math.Min(size, int.MaxValue)), size, shownPath);
            var file = new GgufFile(shownPath, size, map, view, start, header);
            ok = true;
            return file;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException
                                      or System.Security.SecurityException)
        {
            throw new ModelFormatException(shownPath, -1, $"cannot read the file: {e.Message}", e);
        }
        finally
        {
            if (!ok)
            {
                if (basePtr != null) view!.SafeMemoryMappedViewHandle.ReleasePointer();
                view?.Dispose();
                map?.Dispose();
                stream?.Dispose();
            }
        }
    }

    /// <summary>First byte of the mapping (tests check that tensor pointers lie inside it).</summary>
    internal byte* BasePointer => _base;

    public GgufTensorInfo? FindTensor(string name) =>
        _header.TensorIndex.TryGetValue(name, out int i) ? _header.Tensors[i] : null;

    /// <summary>Pointer to the tensor's first byte inside the mapping (no copy); valid until Dispose.</summary>
    public byte* TensorData(GgufTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        if ((uint)tensor.Index >= (uint)_header.Tensors.Length || !ReferenceEquals(_header.Tensors[tensor.Index], tensor))
            throw new ArgumentException($"tensor '{tensor.Name}' does not belong to {Path}", nameof(tensor));
        return _base + DataOffset + tensor.Offset;
    }

    /// <summary>The tensor's bytes as a span over the mapping; throws when larger than int.MaxValue bytes.</summary>
    public ReadOnlySpan<byte> TensorSpan(GgufTensorInfo tensor)
    {
        byte* p = TensorData(tensor);
        if (tensor.ByteSize > int.MaxValue)
            throw new InvalidOperationException($"tensor '{tensor.Name}' is {tensor.ByteSize} bytes, too large for a span; use TensorData");
        return new ReadOnlySpan<byte>(p, (int)tensor.ByteSize);
    }

    /// <summary>Writes the tensor's bytes to <paramref name="output"/> in chunks (for copying files).</summary>
    public void CopyTensorTo(GgufTensorInfo tensor, Stream output)
    {
        const int Chunk = 1 << 24;
        byte* p = TensorData(tensor);
        for (long done = 0; done < tensor.ByteSize; done += Chunk)
            output.Write(new ReadOnlySpan<byte>(p + done, (int)Math.Min(Chunk, tensor.ByteSize - done)));
    }

    public string GetString(string key) => Metadata.GetString(key);
    public bool TryGetString(string key, out string value) => Metadata.TryGetString(key, out value);
    public uint GetUInt32(string key) => Metadata.GetUInt32(key);
    public bool TryGetUInt32(string key, out uint value) => Metadata.TryGetUInt32(key, out value);
    public int GetInt32(string key) => Metadata.GetInt32(key);
    public bool TryGetInt32(string key, out int value) => Metadata.TryGetInt32(key, out value);
    public ulong GetUInt64(string key) => Metadata.GetUInt64(key);
    public bool TryGetUInt64(string key, out ulong value) => Metadata.TryGetUInt64(key, out value);
    public float GetFloat32(string key) => Metadata.GetFloat32(key);
    public bool TryGetFloat32(string key, out float value) => Metadata.TryGetFloat32(key, out value);
    public bool GetBool(string key) => Metadata.GetBool(key);
    public bool TryGetBool(string key, out bool value) => Metadata.TryGetBool(key, out value);
    public GgufArray GetArray(string key) => Metadata.GetArray(key);
    public bool TryGetArray(string key, out GgufArray value) => Metadata.TryGetArray(key, out value);
    public string[] GetStringArray(string key) => Metadata.GetStringArray(key);
    public bool TryGetStringArray(string key, out string[] value) => Metadata.TryGetStringArray(key, out value);
    public float[] GetFloat32Array(string key) => Metadata.GetFloat32Array(key);
    public bool TryGetFloat32Array(string key, out float[] value) => Metadata.TryGetFloat32Array(key, out value);
    public int[] GetInt32Array(string key) => Metadata.GetInt32Array(key);
    public bool TryGetInt32Array(string key, out int[] value) => Metadata.TryGetInt32Array(key, out value);

    public void Dispose()
    {
        if (_base == null) return;
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
