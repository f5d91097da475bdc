// A Hugging Face Llama folder (config.json, safetensors shards, tokenizer.model or tokenizer.json) as one model source.
using Minerva.Native.Formats;
using Minerva.Native.Formats.SafeTensors;
using Minerva.Native.Tokenization;
using Minerva.Native.Tensors;

namespace Minerva.Native.Model;

internal sealed class HfModel : IDisposable
{
    private readonly HuggingFaceModel _files;
    private IDisposable? _freqs;   // native memory of computed RoPE freq factors

    private HfModel(HuggingFaceModel files, LlamaConfig config, LlamaWeights weights, LlamaTokenizer tokenizer)
    {
        _files = files;
        Config = config;
        Weights = weights;
        Tokenizer = tokenizer;
    }

    public LlamaConfig Config { get; }
    public LlamaWeights Weights { get; }
    public LlamaTokenizer Tokenizer { get; }
    public long FileBytes => _files.Shards.Sum(s => s.FileLength);

    public static HfModel Open(string path)
    {
        var files = HuggingFaceModel.Open(path);
        IDisposable? freqOwner = null;
        try
        {
            var config = HfLlamaConfig.ToLlama(files.HfConfig, Path.Combine(files.Folder, HuggingFaceModel.ConfigFile), Path.GetFileName(files.Folder));
            // Hugging Face Q/K rows are in rotate_half order: RoPE pairs (i, i + headDim/2).
            var weights = WeightMap.Build(path, config, TensorNaming.HuggingFace,
                name => files.TryGetTensor(name, out _) ? Computable(path, files.ToWeightTensor(name)) : null, RopeLayout.HalfSplit);
            ModelSource.CheckAllUsed(path, files.TensorNames, weights);
            if (config.Llama3Rope is { } llama3)
            {
                // transformers computes Llama 3's scaled frequencies from config.json; the engine reads them as a tensor
                (var freqs, freqOwner) = RopeFreqFactors.AsWeight(RopeFreqFactors.Llama3(llama3, config.RopeTheta, config.HeadDim));
                weights = weights with { RopeFreqs = freqs };
            }
            var tokenizer = LoadTokenizer(path, files, config);
            ModelSource.CheckTokenizer(path, config, tokenizer);
            return new HfModel(files, config, weights, tokenizer) { _freqs = freqOwner };
        }
        catch
        {
            freqOwner?.Dispose();
            files.Dispose();
            throw;
        }
    }

    private static WeightTensor Computable(string path, WeightTensor t) =>
        t.Type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16
            ? t : throw new NotSupportedException($"{path}: tensor {t.Name} has type {t.Type}; safetensors models must be F32, F16 or BF16");

    // The factories apply the tokenizer_config.json beside the tokenizer file (chat template, BOS, special ids).
    private static LlamaTokenizer LoadTokenizer(string path, HuggingFaceModel files, LlamaConfig config)
    {
        LlamaTokenizer tokenizer = files.TokenizerModelPath is { } spm ? LlamaTokenizer.FromSentencePieceModel(spm)
            : files.TokenizerJsonPath is { } json ? LlamaTokenizer.FromTokenizerJson(json)
            : throw new ModelFormatException(path, -1, "no tokenizer: expected tokenizer.model or tokenizer.json beside the weights");
        // convert_hf_to_gguf.py pads a BPE vocabulary to config.json's vocab_size with [PADn] UNUSED tokens (Qwen2.5: 151665 -> 151936).
        var v = tokenizer.Vocabulary;
        int size = config.VocabSize, have = v.Tokens.Count;
        if (v.Kind != TokenizerKind.Bpe || have >= size) return tokenizer;
        return new LlamaTokenizer(v with
        {
            Tokens = [.. v.Tokens, .. Enumerable.Range(have, size - have).Select(i => $"[PAD{i}]")],
            Scores = new float[size],
            Types = [.. v.Types, .. Enumerable.Repeat(TokenType.Unused, size - have)],
        });
    }

    public void Dispose()
    {
        _files.Dispose();
        _freqs?.Dispose();
    }
}
