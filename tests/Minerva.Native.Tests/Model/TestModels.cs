using Minerva.Native.Model;
using Minerva.Native.Quantization;

namespace Minerva.Native.Tests.Model;

/// <summary>Synthetic tiny models written once per test run into a shared scratch folder.</summary>
public static class TestModels
{
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), "minerva-test-models", Environment.ProcessId.ToString());
    private static readonly Lock Gate = new();

    /// <summary>The tiny preset as GGUF of the given type (f32, f16, q8_0, q4_0, q4_k_m, ...), or a custom config.</summary>
    public static string Gguf(string type, LlamaConfig? config = null, string tag = "tiny")
    {
        string path = Path.Combine(Folder, $"{tag}-{type}.gguf");
        lock (Gate)
        {
            if (!File.Exists(path)) SyntheticModels.Write(config ?? ModelPreset.Tiny, "gguf", QuantMix.Parse(type), SyntheticModels.DefaultSeed, path);
        }
        return path;
    }

    /// <summary>The same weights as a Hugging Face safetensors folder.</summary>
    public static string SafeTensors(string type, LlamaConfig? config = null, string tag = "tiny")
    {
        string path = Path.Combine(Folder, $"{tag}-{type}-hf");
        lock (Gate)
        {
            if (!File.Exists(Path.Combine(path, "model.safetensors")))
                SyntheticModels.Write(config ?? ModelPreset.Tiny, "safetensors", QuantMix.Parse(type), SyntheticModels.DefaultSeed, path);
        }
        return path;
    }

    /// <summary>A fixed token sequence (BOS then ids spread over the vocabulary, no control tokens).</summary>
    public static int[] Tokens(int count, int vocab)
    {
        var ids = new int[count];
        ids[0] = 1;
        for (int i = 1; i < count; i++) ids[i] = 3 + (int)((i * 2654435761L) % (vocab - 3));
        return ids;
    }
}
