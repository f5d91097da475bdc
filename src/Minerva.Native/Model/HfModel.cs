// A Hugging Face Llama folder (config.json, safetensors shards, tokenizer.model or tokenizer.json) as one model source.
using Minerva.Native.Formats;
using Minerva.Native.Formats.SafeTensors;
using Minerva.Native.Tokenization;

namespace Minerva.Native.Model;

internal sealed class HfModel : IDisposable
{
    private readonly HuggingFaceModel _files;

    private HfModel(HuggingFaceModel files, LlamaWeights weights, LlamaTokenizer tokenizer)
    {
        _files = files;
        Weights = weights;
        Tokenizer = tokenizer;
    }

    public LlamaConfig Config => _files.Config;
    public LlamaWeights Weights { get; }
    public LlamaTokenizer Tokenizer { get; }
    public long FileBytes => _files.Shards.Sum(s => s.FileLength);

    public static HfModel Open(string path)
    {
        var files = HuggingFaceModel.Open(path);
        try
        {
            var config = files.Config;
            // Hugging Face Q/K rows are in rotate_half order: RoPE pairs (i, i + headDim/2).
            var weights = WeightMap.Build(path, config, TensorNaming.HuggingFace,
                name => files.TryGetTensor(name, out _) ? Computable(path, files.ToWeightTensor(name)) : null, RopeLayout.HalfSplit);
            var tokenizer = LoadTokenizer(path, files);
            ModelSource.CheckTokenizer(path, config, tokenizer);
            return new HfModel(files, weights, tokenizer);
        }
        catch
        {
            files.Dispose();
            throw;
        }
    }

    private static WeightTensor Computable(string path, WeightTensor t) =>
        t.Type is Formats.Gguf.GgmlType.F32 or Formats.Gguf.GgmlType.F16 or Formats.Gguf.GgmlType.BF16
            ? t : throw new NotSupportedException($"{path}: tensor {t.Name} has type {t.Type}; safetensors models must be F32, F16 or BF16");

    private static LlamaTokenizer LoadTokenizer(string path, HuggingFaceModel files)
    {
        LlamaTokenizer tokenizer = files.TokenizerModelPath is { } spm ? LlamaTokenizer.FromSentencePieceModel(spm)
            : files.TokenizerJsonPath is { } json ? LlamaTokenizer.FromTokenizerJson(json)
            : throw new ModelFormatException(path, -1, "no tokenizer: expected tokenizer.model or tokenizer.json beside the weights");
        // tokenizer_config.json decides the chat template and whether BOS is added.
        var v = tokenizer.Vocabulary;
        v = v with { ChatTemplate = files.ChatTemplate ?? v.ChatTemplate, AddBos = files.AddBosToken ?? v.AddBos };
        // convert_hf_to_gguf.py pads a BPE vocabulary to config.json's vocab_size with [PADn] UNUSED tokens (Qwen2.5: 151665 -> 151936).
        int size = files.Config.VocabSize, have = v.Tokens.Count;
        if (v.Kind == TokenizerKind.Bpe && have < size)
            v = v with
            {
                Tokens = [.. v.Tokens, .. Enumerable.Range(have, size - have).Select(i => $"[PAD{i}]")],
                Scores = new float[size],
                Types = [.. v.Types, .. Enumerable.Repeat(TokenType.Unused, size - have)],
            };
        return new LlamaTokenizer(v);
    }

    public void Dispose() => _files.Dispose();
}
