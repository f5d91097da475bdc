// Cross-checks our GGUF reader and writer against llama.cpp's own gguf.cpp (libggml-base from LLamaSharp.Backend.Cpu, called directly).
using System.Runtime.InteropServices;
using Minerva.Native.Formats.Gguf;

namespace Minerva.Native.Tests.Formats.Gguf;

public unsafe class GgufLlamaCppCrossCheckTests
{
    [StructLayout(LayoutKind.Sequential)]
    private struct InitParams // gguf.h, struct gguf_init_params
    {
        public byte NoAlloc;
        public nint Ctx;
    }

    private static nint _lib;
    private string _dir = null!;

    [OneTimeSetUp]
    public void LoadGgml()
    {
        string root = Path.Combine(AppContext.BaseDirectory, "runtimes");
        string name = OperatingSystem.IsWindows() ? "ggml-base.dll" : OperatingSystem.IsMacOS() ? "libggml-base.dylib" : "libggml-base.so";
        string? rid = OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64 ? "linux-x64"
            : OperatingSystem.IsWindows() && RuntimeInformation.ProcessArchitecture == Architecture.X64 ? "win-x64" : null;
        string? path = rid is null ? null : new[] { "avx2", "noavx" }.Select(v => Path.Combine(root, rid, "native", v, name)).FirstOrDefault(File.Exists);
        if (path is null || !NativeLibrary.TryLoad(path, out _lib)) Assert.Ignore("llama.cpp's ggml-base library is not available here");
    }

    [SetUp] public void SetUp() => _dir = TestPaths.NewScratch("gguf-llamacpp");
    [TearDown] public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static nint InitFromFile(string path)
    {
        var init = (delegate* unmanaged<byte*, InitParams, nint>)NativeLibrary.GetExport(_lib, "gguf_init_from_file");
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes) return init(p, new InitParams { NoAlloc = 1, Ctx = 0 });
    }

    private static string Str(nint p) => Marshal.PtrToStringUTF8(p)!;

    [TestCase(3u, null)]
    [TestCase(2u, 64u)]
    public void LlamaCppReadsOurFileTheSameWay(uint version, uint? alignment)
    {
        var writer = GgufTestFiles.SampleWriter(version, alignment, nested: false);
        byte[] bytes = GgufTestFiles.WriteToBytes(writer);
        string path = GgufTestFiles.WriteTemp(_dir, "ours.gguf", bytes);
        using var ours = GgufFile.Open(path);

        nint ctx = InitFromFile(path);
        Assert.That(ctx, Is.Not.Zero, "gguf_init_from_file rejected our file");
        try
        {
            var getI64 = (delegate* unmanaged<nint, long>)NativeLibrary.GetExport(_lib, "gguf_get_n_tensors");
            var getNkv = (delegate* unmanaged<nint, long>)NativeLibrary.GetExport(_lib, "gguf_get_n_kv");
            var alignmentOf = (delegate* unmanaged<nint, nuint>)NativeLibrary.GetExport(_lib, "gguf_get_alignment");
            var dataOffset = (delegate* unmanaged<nint, nuint>)NativeLibrary.GetExport(_lib, "gguf_get_data_offset");
            var key = (delegate* unmanaged<nint, long, nint>)NativeLibrary.GetExport(_lib, "gguf_get_key");
            var kvType = (delegate* unmanaged<nint, long, int>)NativeLibrary.GetExport(_lib, "gguf_get_kv_type");
            var arrN = (delegate* unmanaged<nint, long, nuint>)NativeLibrary.GetExport(_lib, "gguf_get_arr_n");
            var tName = (delegate* unmanaged<nint, long, nint>)NativeLibrary.GetExport(_lib, "gguf_get_tensor_name");
            var tOffset = (delegate* unmanaged<nint, long, nuint>)NativeLibrary.GetExport(_lib, "gguf_get_tensor_offset");
            var tType = (delegate* unmanaged<nint, long, int>)NativeLibrary.GetExport(_lib, "gguf_get_tensor_type");
            var tSize = (delegate* unmanaged<nint, long, nuint>)NativeLibrary.GetExport(_lib, "gguf_get_tensor_size");
            Assert.Multiple(() =>
            {
                Assert.That(getI64(ctx), Is.EqualTo(ours.Tensors.Count));
                Assert.That(getNkv(ctx), Is.EqualTo(ours.Metadata.Count));
                Assert.That((long)alignmentOf(ctx), Is.EqualTo(ours.Alignment));
                Assert.That((long)dataOffset(ctx), Is.EqualTo(ours.DataOffset));
                for (int i = 0; i < ours.Metadata.Count; i++)
                {
                    var e = ours.Metadata[i];
                    Assert.That(Str(key(ctx, i)), Is.EqualTo(e.Key));
                    Assert.That(kvType(ctx, i), Is.EqualTo((int)e.Value.Type), e.Key);
                    if (e.Value.Type == GgufValueType.Array)
                        Assert.That((int)arrN(ctx, i), Is.EqualTo(e.Value.AsArray().Count), e.Key);
                }
                foreach (var t in ours.Tensors)
                {
                    Assert.That(Str(tName(ctx, t.Index)), Is.EqualTo(t.Name));
                    Assert.That((long)tOffset(ctx, t.Index), Is.EqualTo(t.Offset), t.Name);
                    Assert.That(tType(ctx, t.Index), Is.EqualTo((int)t.Type), t.Name);
                    Assert.That((long)tSize(ctx, t.Index), Is.EqualTo(t.ByteSize), t.Name);
                }
            });

            // gguf.cpp's writer, header only: must equal our first DataOffset bytes.
            string theirs = Path.Combine(_dir, "theirs-meta.gguf");
            Assert.That(WriteToFile(ctx, theirs, onlyMeta: true), Is.True);
            GgufTestFiles.AssertSameBytes(File.ReadAllBytes(theirs), bytes[..(int)ours.DataOffset], "gguf.cpp header vs ours");
        }
        finally
        {
            ((delegate* unmanaged<nint, void>)NativeLibrary.GetExport(_lib, "gguf_free"))(ctx);
        }
    }

    [Test]
    public void WeReadAndRewriteAFileGgufCppWrote()
    {
        string vocab = TestPaths.SharedTestData("tokenizer", "ggml-vocab-llama-spm.gguf");
        if (!File.Exists(vocab)) Assert.Ignore($"{vocab} not present");
        nint ctx = InitFromFile(vocab);
        Assert.That(ctx, Is.Not.Zero);
        string path = Path.Combine(_dir, "vocab-by-gguf-cpp.gguf");
        try { Assert.That(WriteToFile(ctx, path, onlyMeta: false), Is.True); }
        finally { ((delegate* unmanaged<nint, void>)NativeLibrary.GetExport(_lib, "gguf_free"))(ctx); }

        byte[] expected = File.ReadAllBytes(path); // gguf.cpp pads the end even without tensors
        using var file = GgufFile.Open(path);
        Assert.That(file.GetStringArray("tokenizer.ggml.tokens"), Has.Length.EqualTo(32000));
        var writer = GgufWriter.FromFile(file);
        Assert.That(writer.TrailingPadding, Is.True);
        using var ms = new MemoryStream();
        writer.Write(ms, writer.CopyDataFrom(file));
        GgufTestFiles.AssertSameBytes(ms.ToArray(), expected, "our rewrite of a gguf.cpp file");
    }

    private static bool WriteToFile(nint ctx, string path, bool onlyMeta)
    {
        var write = (delegate* unmanaged<nint, byte*, byte, byte>)NativeLibrary.GetExport(_lib, "gguf_write_to_file");
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes) return write(ctx, p, onlyMeta ? (byte)1 : (byte)0) != 0;
    }
}
