// Texts for the byte-level BPE tests: llama.cpp's reference cases, hand-picked edge cases and seeded random mixtures.
using System.Text;

namespace Minerva.Native.Tests.Tokenization;

internal static class BpeTestTexts
{
    public static string VocabPath(string vocab) => TestPaths.SharedTestData("tokenizer", $"ggml-vocab-{vocab}.gguf");

    /// <summary>The 46 (text, expected ids) pairs of a reference vocabulary's .inp/.out files, in file order.</summary>
    public static IReadOnlyList<(string Text, int[] Ids)> ReferenceCases(string vocab)
    {
        string path = VocabPath(vocab);
        string[] texts = File.ReadAllText(path + ".inp").Split("\n__ggml_vocab_test__\n");
        string[] lines = File.ReadAllText(path + ".out").Split('\n');
        var cases = new List<(string, int[])>();
        for (int i = 0; i < texts.Length - 1; i++) // the last separator leaves an empty tail
            cases.Add((texts[i], lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray()));
        return cases;
    }

    public static readonly string[] Fixed =
    [
        "", " ", "  ", "\t", "\n", "Hello world", " Hello world", "Hello World!", "DON'T", "I'LL", "WE'RE", "YOU'VE", "HE'D",
        "She'S", "it'S fine", "'s", "'S", "'", "''", "don't", "I'm", "they're", "we've", "you'll", "'ll", "'re", "x'd", "'RE'VE'LL",
        "123", "1234567", "12345678901234567890", "3.14159", "-42", "1,000,000", "٣٤٥ Arabic-Indic digits", "²³ superscripts ½ ¾",
        "Ⅻ roman", "①②③", "   leading", "trailing   ", "a  b   c    d", "\t\ttabs\t", "\n\n\n", "\r\n\r\n", " \n \n ",
        "line1\nline2\r\nline3", "   \n   x", "x \n", "x\n \n  y", "def f(x):\n    return x ** 2  # comment",
        "if (a && b) { c++; } else { d--; }", "<html><body class=\"x\">Hi</body></html>", "SELECT * FROM t WHERE id = 1;",
        "https://example.com/path?q=1&r=2#frag", "user@example.com", "~/.bashrc && echo $HOME | grep ^/ `ls`",
        "😀🎉 emoji 👨‍👩‍👧‍👦 family 🏳️‍🌈", "漢字とひらがなとカタカナ、한국어", "中文测试，标点。", "Привет, мир! Ёжик", "Ελληνικά γράμματα",
        "עברית ערבית العربية", "हिन्दी देवनागरी", "ไทย ภาษา", "Ünïcödé ñ ç ß ẞ", "ﬁ ligature, combining é (e\u0301)",
        "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝓂𝒶𝓉𝒽", "\u00a0nbsp\u00a0", "\u3000ideographic\u3000space", "\u2028line sep\u2029para",
        "zero\u200bwidth", "\u0085next line", "\u001c\u001d\u001e\u001f ascii separators", "lone \uD800 surrogate and \uDC00 another",
        "\u0000 nul and \u007F del", "µ Ω K ι ǅ", "‘quotes’ “double” —dash— …", "！？。、（全角）",
        "<|begin_of_text|>Hello<|end_of_text|>", "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>", "<|endoftext|>",
        "<|im_start|>user\nHi<|im_end|>\n", "<|reserved_special_token_5|>", "<s></s><unk>", "<|endoftext|><|endoftext|>", "a<|eot_id|>b",
        "Hello , world . What ? Yes ! I ' m here , don 't , they 're , we 've , it 's , I 'll , he 'd",
        "Ġ Ċ already byte-level ĠĠ chars", "[PAD100005] pad text", "<｜end▁of▁sentence｜>", "<｜begin▁of▁sentence｜>x",
        "    indented\n        twice\n\ttab", "a\u00a0\u00a0b", "1\u00a02", "x\u3000\u3000", "\u3000", " \u3000 ", "ab\u2003\u2003cd",
    ];

    /// <summary>Seeded random strings over an alphabet mixing ASCII, whitespace, digits, contractions, special-token text and many scripts.</summary>
    public static IEnumerable<string> Random(int count, int seed)
    {
        string[] atoms = ["a", "b", "e", "th", "ing", "The", "DON'T", "'s", "'S", "'ll", "'Ve", " ", "  ", "\t", "\n", "\r\n", "\r", ".", ",",
            "!", "?", "'", "\"", "0", "12", "345", "6789", "é", "ß", "字", "の", "한", "😀", "🦙", "\u200d", "\u00a0", "\u3000", "\u2009",
            "Ж", "α", "١", "<|eot_id|>", "<|endoftext|>", "<|im_start|>", "<|begin_of_text|>", "<", "|", ">", "$", "+", "~", "`", "(", ")",
            "{", "}", "_", "-", "/", "\\", "#", "Hello", " world", "µ", "Ⅻ", "²", "ǅ", "ﬁ", "！", "。", "‘", "K", "Ω", "ⅰ", "\u0301"];
        var rng = new System.Random(seed);
        for (int i = 0; i < count; i++)
        {
            var sb = new StringBuilder();
            int n = rng.Next(0, 30);
            for (int j = 0; j < n; j++) sb.Append(atoms[rng.Next(atoms.Length)]);
            yield return sb.ToString();
        }
    }

    /// <summary>Seeded random code points from every plane (assigned or not, no surrogates), mixed with spaces and letters.</summary>
    public static IEnumerable<string> RandomCodepoints(int count, int seed)
    {
        var rng = new System.Random(seed);
        for (int i = 0; i < count; i++)
        {
            var sb = new StringBuilder();
            int n = rng.Next(1, 12);
            for (int j = 0; j < n; j++)
            {
                int cp = rng.Next(5) switch
                {
                    0 => rng.Next(0x20, 0x7F),
                    1 => rng.Next(0x80, 0x3000),
                    2 => rng.Next(0x3000, 0x10000),
                    3 => rng.Next(0x10000, 0x30000),
                    _ => " \n'"[rng.Next(3)],
                };
                if (cp is >= 0xD800 and <= 0xDFFF) cp = 0xFFFD;
                sb.Append(char.ConvertFromUtf32(cp));
            }
            yield return sb.ToString();
        }
    }

    public static string Escape(string s) => s.Replace("\n", "\\n").Replace("\t", "\\t").Replace("\r", "\\r");
}
