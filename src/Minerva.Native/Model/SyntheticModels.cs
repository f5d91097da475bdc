// Writes deterministic random-weight Llama models (same seed, same bytes) as GGUF (llama.cpp's layout and keys,
// Q/K rows permuted as its converter does) or as a Hugging Face safetensors folder, for tests and the benchmark.
using System.Text.Json.Nodes;
using Minerva.Native.Tensors;
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Formats.SafeTensors;
using Minerva.Native.Quantization;

namespace Minerva.Native.Model;

public static class SyntheticModels
{
    public const ulong DefaultSeed = 20240101;

    /// <summary>TinyLlama's chat template (Zephyr family), stored in tokenizer.chat_template.</summary>
    public const string ZephyrTemplate =
        "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n" +
        "{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n" +
        "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n" +
        "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

    /// <summary>Llama 3's prompt format (abridged from Meta's template; llama.cpp recognises it by its header tokens).</summary>
    public const string Llama3Template =
        "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + " +
        "message['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}" +
        "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    /// <summary>ChatML, the format of Qwen2.5 and SmolLM2.</summary>
    public const string ChatMlTemplate =
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}" +
        "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    /// <summary>
    /// The vocabulary a synthetic model gets: SentencePiece with TinyLlama's (Zephyr) template when <paramref name="BpeFamily"/>
    /// is null, else a byte-level BPE vocabulary of that family (<see cref="SyntheticBpeVocabulary.Families"/>).
    /// </summary>
    public sealed record TokenizerSpec(string? BpeFamily, string ChatTemplate)
    {
        public static TokenizerSpec SentencePiece { get; } = new(null, ZephyrTemplate);
    }

    /// <summary>Writes the model unless a readable one is already at <paramref name="path"/>; returns the path.</summary>
    public static string Ensure(string preset, string format, string type, string path, IProgress<double>? progress = null, ulong seed = DefaultSeed)
    {
        if (File.Exists(path) || File.Exists(Path.Combine(path, "model.safetensors")))
        {
            try
            {
                using var existing = ModelSource.Open(path);
                return path;
            }
            catch (Exception e) when (e is Formats.ModelFormatException or IOException or InvalidDataException) { }
        }
        Write(ModelPreset.Get(preset), format, QuantMix.Parse(type), seed, path, progress, ModelPreset.TokenizerFor(preset));
        return path;
    }

    /// <summary>Writes a model; a partial write never leaves a file at <paramref name="path"/> (temp name, then rename).</summary>
    public static void Write(LlamaConfig config, string format, QuantMix mix, ulong seed, string path, IProgress<double>? progress = null,
        TokenizerSpec? tokenizer = null)
    {
        tokenizer ??= TokenizerSpec.SentencePiece;
        config.Validate();
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        switch (format.ToLowerInvariant())
        {
            case "gguf": WriteGguf(config, mix, seed, path, progress, tokenizer); break;
            case "safetensors": WriteSafeTensors(config, mix, seed, path, progress, tokenizer); break;
            default: throw new ArgumentException($"unknown format '{format}' (gguf or safetensors)");
        }
    }

    private static void WriteGguf(LlamaConfig c, QuantMix mix, ulong seed, string path, IProgress<double>? progress, TokenizerSpec tokenizer)
    {
        var w = new GgufWriter();
        GgufLlamaMetadata.AddHyperparameters(w, c with { Name = c.Name ?? "minerva-synthetic" });
        w.AddMetadata("general.file_type", mix.LlamaFileType);
        if (GgmlTypes.Info(mix.BaseType).IsQuantized) w.AddMetadata("general.quantization_version", 2u);
        if (tokenizer.BpeFamily is { } family)
            SyntheticBpeVocabulary.AddToGguf(w, SyntheticBpeVocabulary.Create(family, c.VocabSize), tokenizer.ChatTemplate);
        else
        {
            var vocab = SyntheticVocabulary.Create(c.VocabSize);
            GgufLlamaMetadata.AddTokenizer(w, vocab.Tokens, vocab.Scores, vocab.Types, SyntheticVocabulary.Bos, SyntheticVocabulary.Eos,
                SyntheticVocabulary.Unknown, addBos: true, addEos: false, tokenizer.ChatTemplate);
        }

        var tensors = SyntheticWeights.Tensors(c);
        var types = tensors.Select(t => mix.TypeFor(t.GgufName, t.GgufDims, c.Layers, c.Heads / c.KvHeads, !c.TiedEmbeddings)).ToArray();
        for (int i = 0; i < tensors.Count; i++) w.AddTensor(tensors[i].GgufName, types[i], tensors[i].GgufDims);
        // Llama 3 scaling travels as a tensor in GGUF, as llama.cpp's converter writes it
        float[]? freqs = c.Llama3Rope is { } l3 ? RopeFreqFactors.Llama3(l3, c.RopeTheta, c.HeadDim) : null;
        if (freqs is not null) w.AddTensor(RopeFreqFactors.TensorName, GgmlType.F32, [freqs.Length]);

        long totalRows = tensors.Sum(t => t.Rows), done = 0;
        string temp = path + ".partial";
        try
        {
            w.Write(temp, (i, stream) =>
            {
                if (i == tensors.Count)
                {
                    stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(freqs.AsSpan()));
                    return;
                }
                var t = tensors[i];
                TensorEncoder.WriteRows(stream, types[i], t.Rows, t.Cols,
                    (row, dst) => SyntheticWeights.FillRow(seed, t, SyntheticWeights.HfRowForGgufRow(t, row), dst),
                    n => progress?.Report((done += n) / (double)totalRows));
            });
            File.Move(temp, path, overwrite: true);
        }
        finally { File.Delete(temp); }
    }

    private static void WriteSafeTensors(LlamaConfig c, QuantMix mix, ulong seed, string folder, IProgress<double>? progress, TokenizerSpec tokenizer)
    {
        var dtype = mix.BaseType switch
        {
            GgmlType.F32 => SafeTensorDType.F32,
            GgmlType.F16 => SafeTensorDType.F16,
            GgmlType.BF16 => SafeTensorDType.BF16,
            _ => throw new ArgumentException($"safetensors holds F32, F16 or BF16 weights, not {mix.Name}"),
        };
        var tensors = SyntheticWeights.Tensors(c);
        long totalRows = tensors.Sum(t => t.Rows), done = 0;
        // Tokenizer files first: the weights file appearing last marks a complete folder (Ensure checks for it).
        Directory.CreateDirectory(folder);
        File.Delete(Path.Combine(folder, HuggingFaceModel.SingleFile));
        if (tokenizer.BpeFamily is { } family)
        {
            var bpe = SyntheticBpeVocabulary.Create(family, c.VocabSize);
            SyntheticBpeVocabulary.WriteTokenizerJson(bpe, Path.Combine(folder, "tokenizer.json"));
            File.WriteAllText(Path.Combine(folder, HfTokenizerConfig.FileName), new JsonObject
            {
                ["add_bos_token"] = bpe.AddBos, ["add_eos_token"] = false,
                ["bos_token"] = bpe.Bos >= 0 ? bpe.Tokens[bpe.Bos] : null, ["eos_token"] = bpe.Tokens[bpe.Eos],
                ["pad_token"] = bpe.Pad >= 0 ? bpe.Tokens[bpe.Pad] : null,
                ["chat_template"] = tokenizer.ChatTemplate, ["tokenizer_class"] = "PreTrainedTokenizerFast",
            }.ToJsonString(new() { WriteIndented = true }));
        }
        else
        {
            var vocab = SyntheticVocabulary.Create(c.VocabSize);
            File.WriteAllBytes(Path.Combine(folder, "tokenizer.model"), SentencePieceModelWriter.Write(vocab));
            File.WriteAllText(Path.Combine(folder, HfTokenizerConfig.FileName), new JsonObject
            {
                ["add_bos_token"] = true, ["add_eos_token"] = false, ["bos_token"] = "<s>", ["eos_token"] = "</s>",
                ["unk_token"] = "<unk>", ["chat_template"] = tokenizer.ChatTemplate, ["tokenizer_class"] = "LlamaTokenizer",
            }.ToJsonString(new() { WriteIndented = true }));
        }
        HuggingFaceWriter.Write(folder, HfLlamaConfig.ToHf(c), tensors.Select(t => new HfTensorSource(t.HfName, dtype, t.HfShape,
            stream => TensorEncoder.WriteRows(stream, mix.BaseType, t.Rows, t.Cols,
                (row, dst) => SyntheticWeights.FillRow(seed, t, row, dst), n => progress?.Report((done += n) / (double)totalRows)))));
    }
}
