// The byte-level BPE pre-tokenizers llama.cpp knows by GGUF tokenizer.ggml.pre (llama_vocab::impl::load's name table and
// llm_tokenizer_bpe's regex_exprs per LLAMA_VOCAB_PRE_TYPE_*), each a chain of splits over code points, with its flags.
namespace Minerva.Native.Tokenization;

/// <summary>
/// One pre-tokenizer: the regex stages llama.cpp applies in order (each splits every piece of the previous one) and the
/// vocabulary flags the name implies (ignore_merges, add_bos default, clean_spaces for detokenization).
/// </summary>
internal sealed class BpePreTokenizer
{
    private readonly BpeSplitStage[] _stages;

    private BpePreTokenizer(string name, string family, bool ignoreMerges, bool addBos, bool cleanSpaces, params BpeSplitStage[] stages)
    {
        Name = name;
        Family = family;
        IgnoreMerges = ignoreMerges;
        AddBos = addBos;
        CleanSpaces = cleanSpaces;
        _stages = stages;
    }

    /// <summary>The tokenizer.ggml.pre name it was chosen by.</summary>
    public string Name { get; }
    /// <summary>llama.cpp's pre-type the name maps to ("llama3", "qwen2", "smollm", "gpt2", "deepseek-llm", "default").</summary>
    public string Family { get; }
    /// <summary>A whole pre-token that is itself a vocabulary token is emitted without merging (Llama 3).</summary>
    public bool IgnoreMerges { get; }
    /// <summary>BOS is added by default (when the GGUF has no tokenizer.ggml.add_bos_token).</summary>
    public bool AddBos { get; }
    /// <summary>llama_detokenize removes the spaces of " ?", " !", " .", " ,", " ' " and before 's 'm 're 've.</summary>
    public bool CleanSpaces { get; }

    private static readonly BpeSplitStage Llama3Split = static (s, l) => BpeSplitters.Llama3(s, l, maxDigits: 3);
    private static readonly BpeSplitStage Qwen2Split = static (s, l) => BpeSplitters.Llama3(s, l, maxDigits: 1);

    private static BpePreTokenizer Llama3(string name) => new(name, "llama3", ignoreMerges: true, addBos: true, cleanSpaces: true, Llama3Split);
    private static BpePreTokenizer Qwen2(string name, bool clean) => new(name, "qwen2", false, false, clean, Qwen2Split);
    private static BpePreTokenizer Smollm(string name, bool clean) =>
        new(name, "smollm", false, false, clean, BpeSplitters.EachNumber, BpeSplitters.Gpt2);
    private static BpePreTokenizer Gpt2(string name) => new(name, "gpt2", false, false, true, BpeSplitters.Gpt2);

    private static readonly Dictionary<string, Func<BpePreTokenizer>> Known = new(StringComparer.Ordinal)
    {
        ["llama-bpe"] = () => Llama3("llama-bpe"),
        ["llama3"] = () => Llama3("llama3"),
        ["llama-v3"] = () => Llama3("llama-v3"),
        ["falcon3"] = () => Llama3("falcon3"),
        ["pixtral"] = () => Llama3("pixtral"),
        ["qwen2"] = () => Qwen2("qwen2", clean: false),
        ["deepseek-r1-qwen"] = () => Qwen2("deepseek-r1-qwen", clean: false),
        ["stablelm2"] = () => Qwen2("stablelm2", clean: true),
        ["megrez"] = () => Qwen2("megrez", clean: true),
        ["smollm"] = () => Smollm("smollm", clean: false),
        ["command-r"] = () => Smollm("command-r", clean: false),
        ["starcoder"] = () => Smollm("starcoder", clean: true),
        ["refact"] = () => Smollm("refact", clean: true),
        ["codeshell"] = () => Smollm("codeshell", clean: true),
        ["gpt-2"] = () => Gpt2("gpt-2"),
        ["phi-2"] = () => Gpt2("phi-2"),
        ["mpt"] = () => Gpt2("mpt"),
        ["olmo"] = () => Gpt2("olmo"),
        ["deepseek-llm"] = () => new("deepseek-llm", "deepseek-llm", false, false, false,
            BpeSplitters.EachNewline, BpeSplitters.DeepseekLetters, BpeSplitters.DeepseekPunctuation, BpeSplitters.TrailingSpaces,
            BpeSplitters.DeepseekCjk, BpeSplitters.NumberRuns),
        ["default"] = () => new("default", "default", false, false, true,
            BpeSplitters.PunctuationRuns, BpeSplitters.Gpt2, BpeSplitters.NumberRuns, BpeSplitters.AsciiDigitTriples),
    };

    /// <summary>The names this engine implements, for error messages and documentation.</summary>
    public static IReadOnlyList<string> SupportedNames { get; } = [.. Known.Keys];

    /// <summary>
    /// The pre-tokenizer for a tokenizer.ggml.pre value (null or empty: "default", as llama.cpp falls back with a warning);
    /// an unknown name throws <see cref="NotSupportedException"/> naming it and the supported ones.
    /// </summary>
    public static BpePreTokenizer Get(string? name, string? source = null)
    {
        if (string.IsNullOrEmpty(name)) name = "default";
        if (Known.TryGetValue(name, out var make)) return make();
        throw new NotSupportedException(
            $"{(source is null ? "" : source + ": ")}BPE pre-tokenizer '{name}' is not supported; supported: {string.Join(", ", SupportedNames)}.");
    }

    /// <summary>Splits code points into pre-tokens; appends each one's length (in code points) to <paramref name="lengths"/>.</summary>
    public void Split(ReadOnlySpan<int> codepoints, List<int> lengths)
    {
        lengths.Clear();
        if (codepoints.IsEmpty) return;
        lengths.Add(codepoints.Length);
        var next = new List<int>();
        foreach (BpeSplitStage stage in _stages)
        {
            next.Clear();
            int offset = 0;
            foreach (int length in lengths)
            {
                stage(codepoints.Slice(offset, length), next);
                offset += length;
            }
            lengths.Clear();
            lengths.AddRange(next);
        }
    }
}
