// llama.cpp itself (through LLamaSharp's native binding) as the reference tokenizer, detokenizer and chat formatter.
using System.Runtime.InteropServices;
using System.Text;
using LLama;
using LLama.Common;
using LLama.Exceptions;
using LLama.Native;
using Minerva.Native.Tokenization;

namespace Minerva.Native.Tests.Tokenization;

/// <summary>
/// A vocabulary-only llama.cpp model, loaded once per file per test run. LLamaSharp loads libllama; the C functions are
/// then called directly (LLamaSharp keeps its vocab-pointer overloads internal).
/// </summary>
internal sealed unsafe class LlamaCppReference
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<LlamaCppReference>> Instances = new();

    private readonly LLamaWeights _weights;
    private readonly nint _vocab;
    private static delegate* unmanaged<nint, byte*, int, int*, int, byte, byte, int> _tokenize;
    private static delegate* unmanaged<nint, int*, int, byte*, int, byte, byte, int> _detokenize;
    private static delegate* unmanaged<nint, int, byte*, int, int, byte, int> _tokenToPiece;
    private static delegate* unmanaged<nint, int, byte> _isEog;
    private static delegate* unmanaged<byte*, nint*, nuint, byte, byte*, int, int> _chatApply;
    private static delegate* unmanaged<nint, int> _bos, _eos, _eot;
    private static delegate* unmanaged<nint, byte> _addBos, _addEos;

    private LlamaCppReference(string path)
    {
        NativeLogConfig.llama_log_set((level, message) => { });
        _weights = LLamaWeights.LoadFromFile(new ModelParams(path) { VocabOnly = true });
        nint lib = LoadedLibLlama();
        var getVocab = (delegate* unmanaged<nint, nint>)NativeLibrary.GetExport(lib, "llama_model_get_vocab");
        _tokenize = (delegate* unmanaged<nint, byte*, int, int*, int, byte, byte, int>)NativeLibrary.GetExport(lib, "llama_tokenize");
        _detokenize = (delegate* unmanaged<nint, int*, int, byte*, int, byte, byte, int>)NativeLibrary.GetExport(lib, "llama_detokenize");
        _tokenToPiece = (delegate* unmanaged<nint, int, byte*, int, int, byte, int>)NativeLibrary.GetExport(lib, "llama_token_to_piece");
        _isEog = (delegate* unmanaged<nint, int, byte>)NativeLibrary.GetExport(lib, "llama_vocab_is_eog");
        _chatApply = (delegate* unmanaged<byte*, nint*, nuint, byte, byte*, int, int>)NativeLibrary.GetExport(lib, "llama_chat_apply_template");
        _bos = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(lib, "llama_vocab_bos");
        _eos = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(lib, "llama_vocab_eos");
        _eot = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(lib, "llama_vocab_eot");
        _addBos = (delegate* unmanaged<nint, byte>)NativeLibrary.GetExport(lib, "llama_vocab_get_add_bos");
        _addEos = (delegate* unmanaged<nint, byte>)NativeLibrary.GetExport(lib, "llama_vocab_get_add_eos");
        _vocab = getVocab(_weights.NativeHandle.DangerousGetHandle());
    }

    /// <summary>The libllama LLamaSharp picked (its path from the process's memory map).</summary>
    private static nint LoadedLibLlama()
    {
        if (!OperatingSystem.IsLinux()) throw new DllNotFoundException("finding the loaded libllama is implemented for Linux only");
        string? path = File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 6 && Path.GetFileName(f[5]).StartsWith("libllama", StringComparison.Ordinal)).Select(f => f[5]).FirstOrDefault();
        return path is null ? throw new DllNotFoundException("libllama is not mapped into the process") : NativeLibrary.Load(path);
    }

    /// <summary>The instance for the SentencePiece reference vocabulary (see <see cref="Get(string)"/>).</summary>
    public static LlamaCppReference Get() => Get(LlamaTokenizerVocabTests.VocabPath);

    /// <summary>The shared instance for a GGUF file; the test is ignored (with the reason) where the native library cannot load.</summary>
    public static LlamaCppReference Get(string path)
    {
        var instance = Instances.GetOrAdd(Path.GetFullPath(path), p => new Lazy<LlamaCppReference>(() => new LlamaCppReference(p)));
        try { return instance.Value; }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or RuntimeError or EntryPointNotFoundException)
        {
            Assert.Ignore($"llama.cpp (LLamaSharp.Backend.Cpu) could not be loaded here: {e.GetBaseException().Message}");
            throw;
        }
    }

    /// <summary>Encodes every text with every (addSpecial, parseSpecial) pair in ours and llama.cpp's; the count compared.</summary>
    public int AssertEncodesLike(LlamaTokenizer ours, IEnumerable<string> texts, Func<string, string> escape)
    {
        int compared = 0;
        foreach (string text in texts)
            foreach (bool addSpecial in (ReadOnlySpan<bool>)[false, true])
                foreach (bool parseSpecial in (ReadOnlySpan<bool>)[false, true])
                {
                    Assert.That(ours.Encode(text, addSpecial, parseSpecial), Is.EqualTo(Tokenize(text, addSpecial, parseSpecial)),
                        $"\"{escape(text)}\" addSpecial={addSpecial} parseSpecial={parseSpecial}");
                    compared++;
                }
        return compared;
    }

    public int[] Tokenize(string text, bool addSpecial, bool parseSpecial)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        var tokens = new int[utf8.Length + 8];
        int n;
        fixed (byte* p = utf8)
        fixed (int* t = tokens)
            n = _tokenize(_vocab, p, utf8.Length, t, tokens.Length, B(addSpecial), B(parseSpecial));
        Assert.That(n, Is.GreaterThanOrEqualTo(0), "llama_tokenize buffer too small");
        return tokens[..n];
    }

    public byte[] Detokenize(int[] ids, bool removeSpecial, bool unparseSpecial)
    {
        var buffer = new byte[ids.Length * 64 + 64];
        int n;
        fixed (int* t = ids)
        fixed (byte* b = buffer)
            n = _detokenize(_vocab, t, ids.Length, b, buffer.Length, B(removeSpecial), B(unparseSpecial));
        Assert.That(n, Is.GreaterThanOrEqualTo(0), "llama_detokenize buffer too small");
        return buffer[..n];
    }

    public byte[] TokenToPiece(int id, bool special, int lstrip)
    {
        var buffer = new byte[256];
        int n;
        fixed (byte* b = buffer) n = _tokenToPiece(_vocab, id, b, buffer.Length, lstrip, B(special));
        Assert.That(n, Is.GreaterThanOrEqualTo(0));
        return buffer[..n];
    }

    public bool IsEog(int id) => _isEog(_vocab, id) != 0;

    /// <summary>llama_vocab_bos / eos / eot and get_add_bos / get_add_eos.</summary>
    public (int Bos, int Eos, int Eot, bool AddBos, bool AddEos) Specials =>
        (_bos(_vocab), _eos(_vocab), _eot(_vocab), _addBos(_vocab) != 0, _addEos(_vocab) != 0);

    /// <summary>llama_chat_apply_template with a template text (null = llama.cpp's default); null when it returns -1.</summary>
    public static string? ApplyChatTemplate(string? template, IReadOnlyList<(string Role, string Content)> messages, bool addAssistant)
    {
        Get();
        var handles = new List<GCHandle>();
        try
        {
            byte* Pin(string s)
            {
                byte[] bytes = [.. Encoding.UTF8.GetBytes(s), 0];
                var h = GCHandle.Alloc(bytes, GCHandleType.Pinned);
                handles.Add(h);
                return (byte*)h.AddrOfPinnedObject();
            }
            var chat = new nint[messages.Count * 2]; // llama_chat_message { const char * role; const char * content; }
            for (int i = 0; i < messages.Count; i++)
            {
                chat[2 * i] = (nint)Pin(messages[i].Role);
                chat[2 * i + 1] = (nint)Pin(messages[i].Content);
            }
            byte* tmpl = template is null ? null : Pin(template);
            var buffer = new byte[1 << 16];
            int n;
            fixed (nint* c = chat)
            fixed (byte* b = buffer)
                n = _chatApply(tmpl, c, (nuint)messages.Count, B(addAssistant), b, buffer.Length);
            if (n < 0) return null;
            Assert.That(n, Is.LessThanOrEqualTo(buffer.Length));
            return Encoding.UTF8.GetString(buffer, 0, n);
        }
        finally
        {
            foreach (var h in handles) h.Free();
        }
    }

    private static byte B(bool b) => b ? (byte)1 : (byte)0;
}
