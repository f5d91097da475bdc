// Hugging Face folders: single file and sharded index written by HuggingFaceWriter, opened by HuggingFaceModel.
using System.Text;
using Minerva.Native.Formats;
using Minerva.Native.Tensors;
using Minerva.Native.Formats.SafeTensors;
using Minerva.Native.Model;

namespace Minerva.Native.Tests.Formats.SafeTensors;

public sealed class HuggingFaceModelTests
{
    private string _dir = "";

    [SetUp] public void SetUp() => _dir = TestPaths.NewScratch("hfmodel");
    [TearDown] public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static readonly LlamaConfig Config = new()
    {
        Architecture = "llama", VocabSize = 32, HiddenSize = 16, Layers = 2, Heads = 4, KvHeads = 2, FfnSize = 24,
        ContextLength = 64, RmsEpsilon = 1e-5f,
    };

    // The bytes of a tensor: a function of its name and position only, so they can be checked after reading.
    private static byte Pattern(string name, long i) => (byte)(name.Length * 31 + i * 7 + name[^1]);

    private static List<HfTensorSource> LlamaTensors(SafeTensorDType dtype)
    {
        var shapes = new List<(string, long[])> { ("model.embed_tokens.weight", [32, 16]) };
        for (int l = 0; l < 2; l++)
        {
            string p = $"model.layers.{l}.";
            shapes.Add((p + "input_layernorm.weight", [16]));
            shapes.Add((p + "self_attn.q_proj.weight", [16, 16]));
            shapes.Add((p + "self_attn.k_proj.weight", [8, 16]));
            shapes.Add((p + "self_attn.v_proj.weight", [8, 16]));
            shapes.Add((p + "self_attn.o_proj.weight", [16, 16]));
            shapes.Add((p + "post_attention_layernorm.weight", [16]));
            shapes.Add((p + "mlp.gate_proj.weight", [24, 16]));
            shapes.Add((p + "mlp.up_proj.weight", [24, 16]));
            shapes.Add((p + "mlp.down_proj.weight", [16, 24]));
        }
        shapes.Add(("model.norm.weight", [16]));
        shapes.Add(("lm_head.weight", [32, 16]));
        return shapes.Select(s => new HfTensorSource(s.Item1, dtype, s.Item2, stream =>
        {
            long n = dtype.ByteSize(SafeTensorDTypes.ElementCount(s.Item2));
            for (long i = 0; i < n; i++) stream.WriteByte(Pattern(s.Item1, i));
        })).ToList();
    }

    private static void CheckAll(HuggingFaceModel m, List<HfTensorSource> expected)
    {
        Assert.That(m.TensorNames.Order(StringComparer.Ordinal), Is.EqualTo(expected.Select(t => t.Name).Order(StringComparer.Ordinal)));
        foreach (var src in expected)
        {
            Assert.That(m.TryGetTensor(src.Name, out var t), Is.True, src.Name);
            Assert.That(t.Info.Shape, Is.EqualTo(src.Shape));
            Assert.That(t.Info.DType, Is.EqualTo(src.DType));
            var bytes = t.File.TensorSpan(t.Info);
            Assert.That(bytes.Length, Is.EqualTo(src.ByteSize));
            for (int i = 0; i < bytes.Length; i++)
                if (bytes[i] != Pattern(src.Name, i)) Assert.Fail($"{src.Name} byte {i}");
        }
    }

    [Test]
    public void ShardedFolderFindsTensorsAcrossShards()
    {
        var tensors = LlamaTensors(SafeTensorDType.BF16);
        HuggingFaceWriter.Write(_dir, HfLlamaConfig.ToHf(Config), tensors, shardBytes: 3000);
        Assert.That(File.Exists(Path.Combine(_dir, HuggingFaceModel.IndexFile)));
        Assert.That(File.Exists(Path.Combine(_dir, HuggingFaceModel.SingleFile)), Is.False);

        using var m = HuggingFaceModel.Open(_dir);
        Assert.That(m.Shards, Has.Count.GreaterThanOrEqualTo(2));
        Assert.That(m.Shards.Select(s => Path.GetFileName(s.Path)), Has.All.Match(@"^model-\d{5}-of-\d{5}\.safetensors$"));
        Assert.That(HfLlamaConfig.ToLlama(m.HfConfig, _dir, Path.GetFileName(_dir)), Is.EqualTo(Config with { Name = Path.GetFileName(_dir) }));
        Assert.That(m.HfConfig.TorchDType, Is.EqualTo("bfloat16"));
        CheckAll(m, tensors);
        Assert.That(m.GetTensor("model.embed_tokens.weight").File, Is.Not.SameAs(m.GetTensor("lm_head.weight").File));
        Assert.That(m.Shards.Sum(s => s.FileLength - s.DataStart), Is.EqualTo(tensors.Sum(t => t.ByteSize)));
        Assert.That(m.Shards.Select(s => s.Metadata["format"]), Has.All.EqualTo("pt"));
        string index = File.ReadAllText(Path.Combine(_dir, HuggingFaceModel.IndexFile));
        Assert.That(index, Does.Contain($"\"total_size\": {tensors.Sum(t => t.ByteSize)}"));
    }

    [Test]
    public void SingleFileFolderAndFilePath()
    {
        var tensors = LlamaTensors(SafeTensorDType.F32);
        HuggingFaceWriter.Write(_dir, HfLlamaConfig.ToHf(Config), tensors, shardBytes: 1 << 20);
        Assert.That(File.Exists(Path.Combine(_dir, HuggingFaceModel.IndexFile)), Is.False);
        using (var m = HuggingFaceModel.Open(_dir))
        {
            Assert.That(m.Shards, Has.Count.EqualTo(1));
            CheckAll(m, tensors);
            Assert.That(m.TensorNames, Is.EqualTo(tensors.Select(t => t.Name)), "file order");
        }
        using (var m = HuggingFaceModel.Open(Path.Combine(_dir, HuggingFaceModel.SingleFile)))
            CheckAll(m, tensors);
    }

    [Test]
    public unsafe void WeightTensorsUseGgmlOrderAndRefuseUncomputableTypes()
    {
        var tensors = LlamaTensors(SafeTensorDType.F16);
        tensors.Add(new HfTensorSource("fp8.weight", SafeTensorDType.F8_E4M3, [2, 3], s => s.Write(new byte[6])));
        HuggingFaceWriter.Write(_dir, HfLlamaConfig.ToHf(Config), tensors);
        using var m = HuggingFaceModel.Open(_dir);
        var w = m.ToWeightTensor("model.layers.1.mlp.down_proj.weight");
        Assert.That((w.Type, w.Columns, w.Rows, w.ByteCount), Is.EqualTo((GgmlType.F16, 24L, 16L, 16L * 24 * 2)));
        Assert.That(w.Data[5], Is.EqualTo(Pattern(w.Name, 5)));
        var e = Assert.Throws<ModelFormatException>(() => m.ToWeightTensor("fp8.weight"))!;
        Assert.That(e.Reason, Does.Contain("F8_E4M3"));
        Assert.That(Assert.Throws<ModelFormatException>(() => m.GetTensor("nope"))!.Reason, Does.Contain("nope"));
    }

    [Test]
    public void FindsTokenizerFiles()
    {
        HuggingFaceWriter.Write(_dir, HfLlamaConfig.ToHf(Config), LlamaTensors(SafeTensorDType.F32));
        using (var bare = HuggingFaceModel.Open(_dir))
            Assert.That((bare.TokenizerJsonPath, bare.TokenizerModelPath, bare.TokenizerConfigPath),
                Is.EqualTo(((string?)null, (string?)null, (string?)null)));
        File.WriteAllText(Path.Combine(_dir, "tokenizer.json"), "{}");
        File.WriteAllBytes(Path.Combine(_dir, "tokenizer.model"), [1, 2]);
        File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"),
            "{\"add_bos_token\": true, \"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}, {\"name\": \"default\", \"template\": \"{{ bos_token }}\"}]}");
        using var m = HuggingFaceModel.Open(_dir);
        Assert.That(m.TokenizerJsonPath, Is.EqualTo(Path.Combine(_dir, "tokenizer.json")));
        Assert.That(m.TokenizerModelPath, Is.EqualTo(Path.Combine(_dir, "tokenizer.model")));
        Assert.That(m.TokenizerConfigPath, Is.EqualTo(Path.Combine(_dir, "tokenizer_config.json")));
        var config = HfTokenizerConfig.Read(m.TokenizerConfigPath!);
        Assert.That(config.ChatTemplate, Is.EqualTo("{{ bos_token }}"));
        Assert.That(config.AddBosToken, Is.True);
        File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"),
            "{\"add_bos_token\": false, \"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}], \"eos_token\": {\"content\": \"</s>\"}, \"pad_token\": null}");
        var second = HfTokenizerConfig.Read(m.TokenizerConfigPath!);
        Assert.That((second.ChatTemplate, second.AddBosToken), Is.EqualTo(("T", (bool?)false)), "without a default, the first template");
        Assert.That((second.EosToken, second.PadToken, second.BosToken),
            Is.EqualTo(((HfSpecialToken?)new HfSpecialToken("</s>", false), (HfSpecialToken?)new HfSpecialToken(null, true), (HfSpecialToken?)null)));
    }

    private string Sharded()
    {
        HuggingFaceWriter.Write(_dir, HfLlamaConfig.ToHf(Config), LlamaTensors(SafeTensorDType.F32), shardBytes: 4000);
        return Path.Combine(_dir, HuggingFaceModel.IndexFile);
    }

    private static void EditIndex(string index, string from, string to)
    {
        string text = File.ReadAllText(index);
        Assert.That(text, Does.Contain(from));
        File.WriteAllText(index, text.Replace(from, to));
    }

    [Test]
    public void RejectsBrokenIndexes()
    {
        string index = Sharded();
        string original = File.ReadAllText(index);
        string shard1 = "model-00001-of-0000";
        Assert.That(original, Does.Contain(shard1));

        File.Delete(Path.Combine(_dir, Directory.GetFiles(_dir, "model-00002-*")[0]));
        Assert.That(Assert.Throws<ModelFormatException>(() => HuggingFaceModel.Open(_dir))!.Reason, Does.Contain("does not exist"));
        HuggingFaceWriter.Write(_dir, HfLlamaConfig.ToHf(Config), LlamaTensors(SafeTensorDType.F32), shardBytes: 4000);

        // lm_head lives in the last shard: map it to the first.
        string last = Path.GetFileName(Directory.GetFiles(_dir, "model-*.safetensors").Order().Last());
        string first = Path.GetFileName(Directory.GetFiles(_dir, "model-*.safetensors").Order().First());
        EditIndex(index, $"\"lm_head.weight\": \"{last}\"", $"\"lm_head.weight\": \"{first}\"");
        Assert.That(Assert.Throws<ModelFormatException>(() => HuggingFaceModel.Open(_dir))!.Reason, Does.Contain("is not in it"));

        File.WriteAllText(index, original.Replace($"\"lm_head.weight\": \"{last}\"", "\"lm_head.weight\": \"../x.safetensors\""));
        Assert.That(Assert.Throws<ModelFormatException>(() => HuggingFaceModel.Open(_dir))!.Reason, Does.Contain("not a file in the folder"));

        File.WriteAllText(index, original.Replace($"\"lm_head.weight\": \"{last}\"", "\"lm_head.weight\": 3"));
        Assert.That(Assert.Throws<ModelFormatException>(() => HuggingFaceModel.Open(_dir))!.Reason, Does.Contain("not a file name"));

        File.WriteAllText(index, "{\"metadata\": {}}");
        Assert.That(Assert.Throws<ModelFormatException>(() => HuggingFaceModel.Open(_dir))!.Reason, Does.Contain("weight_map"));

        File.WriteAllText(index, "{\"weight_map\": {\"a\": \"" + first + "\", \"a\": \"" + first + "\"}}");
        Assert.That(Assert.Throws<ModelFormatException>(() => HuggingFaceModel.Open(_dir))!.Reason, Does.Contain("twice"));

        File.WriteAllText(index, original);
        using (HuggingFaceModel.Open(_dir)) { }
    }

    [Test]
    public void RejectsMissingConfigWeightsAndForeignArchitectures()
    {
        Assert.That(Assert.Throws<ModelFormatException>(() => HuggingFaceModel.Open(_dir))!.Reason, Does.Contain("neither"));
        Assert.Throws<ModelFormatException>(() => HuggingFaceModel.Open(Path.Combine(_dir, "missing")));
        HuggingFaceWriter.Write(_dir, HfLlamaConfig.ToHf(Config), LlamaTensors(SafeTensorDType.F32));
        string config = Path.Combine(_dir, HuggingFaceModel.ConfigFile);
        string text = File.ReadAllText(config);
        File.Delete(config);
        var e = Assert.Throws<ModelFormatException>(() => HuggingFaceModel.Open(_dir))!;
        Assert.That(e.Reason, Does.Contain("config.json is missing"));
        File.WriteAllText(config, text.Replace("LlamaForCausalLM", "GPT2LMHeadModel"), Encoding.UTF8);
        using (var foreign = HuggingFaceModel.Open(_dir))
            Assert.That(Assert.Throws<ModelFormatException>(() => HfLlamaConfig.ToLlama(foreign.HfConfig, config))!.Reason, Does.Contain("GPT2LMHeadModel"));
        Assert.That(Assert.Throws<ModelFormatException>(() => ModelSource.Open(_dir).Dispose())!.Reason, Does.Contain("GPT2LMHeadModel"));
        File.WriteAllText(config, text);
        File.WriteAllBytes(Path.Combine(_dir, HuggingFaceModel.SingleFile), new byte[10]);
        Assert.Throws<ModelFormatException>(() => HuggingFaceModel.Open(_dir));
    }
}
