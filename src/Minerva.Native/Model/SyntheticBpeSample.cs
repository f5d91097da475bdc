// The fixed training text of the synthetic byte-level BPE vocabularies: English prose, code and a few other scripts.
namespace Minerva.Native.Model;

internal static class SyntheticBpeSample
{
    public const string Text = """
        Once upon a time, in a small village at the edge of a great forest, there lived a young girl who loved to read.
        Every morning she walked to the old library, where the librarian kept the books that nobody else wanted to read.
        She read about the stars and the planets, about the history of the world, and about the people who had lived
        long before her. "Why do you read so much?" asked her brother. "Because the world is bigger than our village,"
        she answered, and she smiled. The brother didn't understand, but he wasn't worried: he'd always known that she
        was different. They're both grown now, and we've heard that she teaches at a university in the capital city.
        I'm sure you'll agree that it's a good story. The quick brown fox jumps over the lazy dog. THE END.

        The model reads the text, splits it into tokens, and predicts the next token, one step at a time. Each token is
        an integer; the embedding table turns it into a vector, and the transformer layers mix the vectors with attention
        and feed-forward networks. Training takes a long time, but inference can be fast when the weights are quantized
        and the kernels are written with care. In 2024 the largest models had more than 400 billion parameters, while
        small ones with 135 million or 500 million parameters ran on phones. Prices: $19.99, 3.14159, 1,000,000 and 42%.
        Dates like 2025-01-31 or 12/05/1999, times like 10:45:30, and versions like v1.2.3 appear in many documents.

        def tokenize(text: str, add_bos: bool = True) -> list[int]:
            ids = [BOS] if add_bos else []
            for word in pre_tokenize(text):
                ids.extend(bpe(word))
            return ids

        public static int Add(int a, int b) => a + b; // returns the sum
        for (int i = 0; i < n; i++) { sum += values[i] * weights[i]; }
        if (x != null && x.Length > 0) { Console.WriteLine($"x = {x}"); }
        {"name": "minerva", "version": "0.1.0", "layers": 16, "heads": [32, 8], "rope_theta": 500000.0}
        SELECT id, name FROM users WHERE created_at > '2024-01-01' ORDER BY name;
        <div class="container"><p>Hello, world!</p></div>

        Le petit prince regarda les étoiles et demanda : « Où est ma rose ? » Il était une fois un roi très sage.
        Der schnelle braune Fuchs springt über den faulen Hund. Die Straße ist lang, und die Bäume sind grün.
        El niño comió una manzana y bebió agua fría. ¿Dónde está la biblioteca? ¡Qué día tan bonito!
        Быстрая коричневая лиса прыгает через ленивую собаку. Привет, как дела? Всё хорошо, спасибо.
        Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο. Καλημέρα, τι κάνεις;
        敏捷的棕色狐狸跳过了懒狗。今天天气很好，我们去公园散步吧。我喜欢读书和写字。
        素早い茶色の狐がのろまな犬を飛び越える。今日はいい天気ですね。ありがとうございます。
        빠른 갈색 여우가 게으른 개를 뛰어넘는다. 안녕하세요, 만나서 반갑습니다. 감사합니다.
        الثعلب البني السريع يقفز فوق الكلب الكسول. مرحبا بالعالم. شكرا جزيلا.
        तेज़ भूरी लोमड़ी आलसी कुत्ते के ऊपर कूदती है। नमस्ते, आप कैसे हैं? धन्यवाद।
        Emoji: 😀 😂 🎉 👍 🚀 🦙 ❤️ — and symbols: © ® ™ ° ± × ÷ ≤ ≥ ≠ ∞ → ← ↑ ↓ € £ ¥ §.

        The library was quiet in the evening. The librarian closed the windows, turned off the lights, and walked home
        under the stars. She thought about the girl who read every book, and about the books that were still waiting to
        be read. Tomorrow there would be more readers, more questions, and more stories to tell. And so the story goes on.
        """;
}
