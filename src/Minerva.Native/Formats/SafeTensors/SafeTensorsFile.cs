// safetensors file: u64 little-endian N, N bytes of JSON header, then the data section (huggingface/safetensors layout),
// memory-mapped read-only; tensors are views into the mapping.
using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace Minerva.Native.Formats.SafeTensors;

/// <summary>
/// A validated, memory-mapped safetensors file. Tensor data is never copied: <see cref="TensorData"/> and
/// <see cref="TensorSpan"/> point into the mapping, which lives until <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly Dictionary<string, SafeTensorInfo> _byName;
    private byte* _base;

    private SafeTensorsFile(string path, long length, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePtr)
    {
        Path = path;
        FileLength = length;
        _map = map;
        _view = view;
        _base = basePtr;
        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(basePtr, 8));
        if (declared > SafeTensorsHeader.MaxHeaderBytes)
            throw SafeTensorsHeader.Fail(path, 0, $"header length {declared} exceeds {SafeTensorsHeader.MaxHeaderBytes} bytes");
        long n = (long)declared;
        if (n > length - 8)
            throw SafeTensorsHeader.Fail(path, 0, $"header length {n} runs past the end of the {length}-byte file");
        HeaderLength = n;
        var header = SafeTensorsHeader.Parse(path, new ReadOnlySpan<byte>(basePtr + 8, (int)n), length - 8 - n);
        Tensors = header.Tensors;
        Metadata = header.Metadata;
        _byName = new Dictionary<string, SafeTensorInfo>(Tensors.Count, StringComparer.Ordinal);
        foreach (var t in Tensors) _byName.Add(t.Name, t);
    }

    /// <summary>Maps and validates <paramref name="path"/>; any problem is one <see cref="ModelFormatException"/>.</summary>
    public static SafeTensorsFile Open(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ModelFormatException(path, -1, $"cannot open: {e.Message}", e);
        }
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        byte* p = null;
        try
        {
            long length = stream.Length;
            if (length < 8) throw SafeTensorsHeader.Fail(path, 0, $"file is {length} bytes, too short for the 8-byte header length");
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            return new SafeTensorsFile(path, length, map, view, p + view.PointerOffset);
        }
        catch (Exception e)
        {
            if (p != null) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map?.Dispose();
            stream.Dispose();
            if (e is ModelFormatException) throw;
            if (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                throw new ModelFormatException(path, -1, $"cannot map: {e.Message}", e);
            throw;
        }
    }

    public string Path { get; }
    public long FileLength { get; }
    /// <summary>N, the byte length of the JSON header (padding included).</summary>
    public long HeaderLength { get; }
    /// <summary>File offset of the data section; tensor offsets are relative to it.</summary>
    public long DataStart => 8 + HeaderLength;
    /// <summary>Tensors in the order the header lists them.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }
    /// <summary>The <c>__metadata__</c> map, in file order (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public bool TryGetTensor(string name, out SafeTensorInfo tensor) => _byName.TryGetValue(name, out tensor!);

    public SafeTensorInfo GetTensor(string name) =>
        _byName.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"{Path}: no tensor '{name}'");

    /// <summary>Pointer to the first byte of <paramref name="tensor"/> in the mapping.</summary>
    public byte* TensorData(SafeTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        if (!_byName.TryGetValue(tensor.Name, out var mine) || !ReferenceEquals(mine, tensor))
            throw new ArgumentException($"tensor '{tensor.Name}' does not belong to {Path}", nameof(tensor));
        return _base + DataStart + tensor.Begin;
    }

    /// <summary>The bytes of <paramref name="tensor"/> (at most 2 GiB; use <see cref="TensorData"/> beyond).</summary>
    public ReadOnlySpan<byte> TensorSpan(SafeTensorInfo tensor)
    {
        byte* p = TensorData(tensor);
        if (tensor.ByteSize > int.MaxValue)
            throw new NotSupportedException($"tensor '{tensor.Name}' is {tensor.ByteSize} bytes, too large for a span");
        return new ReadOnlySpan<byte>(p, (int)tensor.ByteSize);
    }

    public void Dispose()
    {
        if (_base == null) return;
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
