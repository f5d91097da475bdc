// Streaming detokenization: characters split over byte tokens appear once complete; the concatenation equals llama.cpp's detokenize.
using System.Text;
using Minerva.Native.Tokenization;

namespace Minerva.Native.Tests.Tokenization;

[TestFixture]
public sealed class TokenTextDecoderTests
{
    private static LlamaTokenizer Tok => LlamaTokenizerVocabTests.Tokenizer;

    private static int ByteToken(byte b)
    {
        for (int id = 0; id < Tok.VocabSize; id++)
            if (Tok.GetTokenType(id) == TokenType.Byte && Tok.GetTokenText(id) == $"<0x{b:X2}>") return id;
        throw new InvalidOperationException();
    }

    [Test]
    public void MultiByteCharacterWaitsForItsLastByte()
    {
        // "▁" is E2 96 81: feed the three byte tokens one by one, then a normal token.
        var decoder = new TokenTextDecoder(Tok);
        Assert.That(decoder.Append(ByteToken(0xE2)), Is.Empty);
        Assert.That(decoder.Append(ByteToken(0x96)), Is.Empty);
        Assert.That(decoder.Append(ByteToken(0x81)), Is.EqualTo("\u2581"));
        Assert.That(decoder.Append(Tok.Encode("Hello", false)[0]), Is.EqualTo(" Hello"));
        Assert.That(decoder.Flush(), Is.Empty);
    }

    [Test]
    public void FourByteEmojiAndIncompleteTail()
    {
        var decoder = new TokenTextDecoder(Tok);
        byte[] emoji = Encoding.UTF8.GetBytes("🦙");
        var sb = new StringBuilder();
        for (int i = 0; i < emoji.Length; i++)
        {
            string piece = decoder.Append(ByteToken(emoji[i]));
            Assert.That(piece, i < emoji.Length - 1 ? Is.Empty : Is.EqualTo("🦙"));
        }
        Assert.That(decoder.Append(ByteToken(0xF0)), Is.Empty);
        Assert.That(decoder.Flush(), Is.EqualTo("\uFFFD"), "an unfinished character is reported on flush");
    }

    [Test]
    public void StreamEqualsDetokenizeForEncodedTexts()
    {
        string[] texts = ["Hello world", "😀🎉 emoji 👨‍👩‍👧‍👦 family", "漢字とひらがな\n\ttab", "  leading", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ẞ"];
        foreach (string text in texts)
        {
            int[] ids = Tok.Encode(text, addBos: false);
            var decoder = new TokenTextDecoder(Tok, stripLeadingSpace: true);
            var sb = new StringBuilder();
            foreach (int id in ids) sb.Append(decoder.Append(id));
            sb.Append(decoder.Flush());
            Assert.That(sb.ToString(), Is.EqualTo(Tok.Decode(ids)).And.EqualTo(text));

            int[] withBos = Tok.Encode(text, addBos: true);
            var decoder2 = new TokenTextDecoder(Tok, stripLeadingSpace: true);
            var sb2 = new StringBuilder();
            foreach (int id in withBos) sb2.Append(decoder2.Append(id));
            Assert.That(sb2.ToString(), Is.EqualTo(Tok.Decode(withBos)), "BOS consumes the strip, as in llama_detokenize");
        }
    }

    [Test]
    public void SpecialTokensPrintOnlyWhenAsked()
    {
        Assert.That(new TokenTextDecoder(Tok).Append(Tok.Eos), Is.Empty);
        Assert.That(new TokenTextDecoder(Tok, special: true).Append(Tok.Eos), Is.EqualTo("</s>"));
    }

    [Test]
    public void SpanAppendAllocatesNothingPerToken()
    {
        int[] ids = Tok.Encode(string.Concat(Enumerable.Repeat("streaming text 😀 ", 50)), false);
        var decoder = new TokenTextDecoder(Tok);
        Span<char> buffer = stackalloc char[64];
        foreach (int id in ids) decoder.Append(id, buffer);
        decoder.Reset();
        long before = GC.GetAllocatedBytesForCurrentThread();
        int total = 0;
        for (int round = 0; round < 4; round++)
        {
            decoder.Reset();
            foreach (int id in ids) total += decoder.Append(id, buffer);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(total, Is.GreaterThan(4 * ids.Length));
        Assert.That(allocated, Is.LessThan(64), $"{4 * ids.Length} tokens decoded"); // a few bytes of one-time runtime noise at most
    }
}
