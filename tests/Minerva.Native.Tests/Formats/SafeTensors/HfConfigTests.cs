// config.json of real Hugging Face Llama/Mistral checkpoints (copied field for field) mapped onto LlamaConfig.
using Minerva.Native.Formats;
using Minerva.Native.Formats.SafeTensors;
using Minerva.Native.Model;

namespace Minerva.Native.Tests.Formats.SafeTensors;

public sealed class HfConfigTests
{
    private string _dir = "";

    [SetUp] public void SetUp() => _dir = TestPaths.NewScratch("hfconfig");
    [TearDown] public void TearDown() => Directory.Delete(_dir, recursive: true);

    private sealed record Parsed(LlamaConfig Llama, HfConfig Hf)
    {
        public string? TorchDType => Hf.TorchDType;
        public string? ModelType => Hf.ModelType;
    }

    private Parsed Read(string json)
    {
        string path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, json);
        return new Parsed(HfLlamaConfig.Read(path, "test"), HfConfig.Read(path));
    }

    private ModelFormatException Fails(string json)
    {
        string path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, json);
        return Assert.Throws<ModelFormatException>(() => HfLlamaConfig.Read(path))!;
    }

    // TinyLlama-1.1B-Chat-v1.0: GQA 32/4, untied, no rope scaling.
    private const string TinyLlama = """
        {"architectures":["LlamaForCausalLM"],"attention_bias":false,"bos_token_id":1,"eos_token_id":2,"hidden_act":"silu",
         "hidden_size":2048,"initializer_range":0.02,"intermediate_size":5632,"max_position_embeddings":2048,"model_type":"llama",
         "num_attention_heads":32,"num_hidden_layers":22,"num_key_value_heads":4,"pretraining_tp":1,"rms_norm_eps":1e-05,
         "rope_scaling":null,"rope_theta":10000.0,"tie_word_embeddings":false,"torch_dtype":"bfloat16",
         "transformers_version":"4.35.0","use_cache":true,"vocab_size":32000}
        """;

    [Test]
    public void TinyLlamaGqa()
    {
        var c = Read(TinyLlama);
        Assert.That(c.Llama, Is.EqualTo(new LlamaConfig
        {
            Architecture = "llama", VocabSize = 32000, HiddenSize = 2048, Layers = 22, Heads = 32, KvHeads = 4, FfnSize = 5632,
            ContextLength = 2048, RopeTheta = 10000f, RopeScale = 1f, RmsEpsilon = 1e-5f, TiedEmbeddings = false,
            BosTokenId = 1, EosTokenId = 2, Name = "test",
        }));
        Assert.That(c.TorchDType, Is.EqualTo("bfloat16"));
        Assert.That(c.ModelType, Is.EqualTo("llama"));
        Assert.That(c.Llama.HeadDim, Is.EqualTo(64));
        Assert.That(c.Llama.KvDim, Is.EqualTo(256));
    }

    [Test]
    public void TiedEosArrayLinearScalingAndDefaults()
    {
        var c = Read("""
            {"architectures":["LlamaForCausalLM"],"model_type":"llama","hidden_size":64,"intermediate_size":128,
             "num_attention_heads":4,"num_hidden_layers":2,"vocab_size":100,"tie_word_embeddings":true,
             "bos_token_id":128000,"eos_token_id":[128001,128008,128009],"rope_scaling":{"type":"linear","factor":4.0}}
            """).Llama;
        Assert.That(c.TiedEmbeddings, Is.True);
        Assert.That(c.EosTokenId, Is.EqualTo(128001));
        Assert.That(c.BosTokenId, Is.EqualTo(128000));
        Assert.That(c.RopeScale, Is.EqualTo(4f));
        Assert.That(c.KvHeads, Is.EqualTo(4), "num_key_value_heads defaults to num_attention_heads");
        Assert.That(c.RopeTheta, Is.EqualTo(10000f));
        Assert.That(c.RmsEpsilon, Is.EqualTo(1e-6f), "transformers' LlamaConfig default");
        Assert.That(c.ContextLength, Is.EqualTo(2048));

        var r = Read("""
            {"model_type":"llama","hidden_size":64,"intermediate_size":128,"num_attention_heads":4,"num_hidden_layers":2,
             "vocab_size":100,"rope_scaling":{"rope_type":"linear","factor":2.5},"rope_theta":500000.0,"num_key_value_heads":2}
            """).Llama;
        Assert.That((r.RopeScale, r.RopeTheta, r.KvHeads, r.TiedEmbeddings), Is.EqualTo((2.5f, 500000f, 2, false)));
    }

    [Test]
    public void MistralIsLlama()
    {
        var c = Read("""
            {"architectures":["MistralForCausalLM"],"bos_token_id":1,"eos_token_id":2,"hidden_act":"silu","hidden_size":4096,
             "initializer_range":0.02,"intermediate_size":14336,"max_position_embeddings":32768,"model_type":"mistral",
             "num_attention_heads":32,"num_hidden_layers":32,"num_key_value_heads":8,"rms_norm_eps":1e-05,"rope_theta":1000000.0,
             "sliding_window":null,"tie_word_embeddings":false,"torch_dtype":"bfloat16","vocab_size":32768}
            """);
        Assert.That(c.Llama.Architecture, Is.EqualTo("llama"));
        Assert.That(c.ModelType, Is.EqualTo("mistral"));
        Assert.That((c.Llama.KvHeads, c.Llama.RopeTheta, c.Llama.ContextLength), Is.EqualTo((8, 1e6f, 32768)));
    }

    [TestCase("{\"factor\":32.0,\"high_freq_factor\":1.0,\"low_freq_factor\":4.0,\"original_max_position_embeddings\":8192,\"rope_type\":\"llama3\"}", "high_freq_factor > low_freq_factor")]
    [TestCase("{\"factor\":32.0,\"rope_type\":\"llama3\"}", "positive 'low_freq_factor'")]
    [TestCase("{\"type\":\"dynamic\",\"factor\":2.0}", "'dynamic' is not supported")]
    [TestCase("{\"rope_type\":\"yarn\",\"factor\":4.0,\"original_max_position_embeddings\":32768}", "'yarn' is not supported")]
    [TestCase("{\"type\":\"linear\"}", "positive 'factor'")]
    [TestCase("{\"type\":\"linear\",\"factor\":0}", "positive 'factor'")]
    [TestCase("5", "not an object")]
    public void UnsupportedRopeScaling(string scaling, string reason)
    {
        var e = Fails($$"""
            {"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":128,"num_attention_heads":4,
             "num_hidden_layers":2,"vocab_size":100,"rope_scaling":{{scaling}}}
            """);
        Assert.That(e.Reason, Does.Contain(reason));
    }

    [TestCase("{\"architectures\":[\"Phi3ForCausalLM\"],\"model_type\":\"phi3\"}", "not supported")]
    [TestCase("{\"architectures\":[\"Qwen2ForCausalLM\"],\"model_type\":\"qwen2\",\"hidden_size\":64,\"num_attention_heads\":4,\"num_hidden_layers\":1,\"vocab_size\":10,\"intermediate_size\":8,\"use_sliding_window\":true}", "use_sliding_window")]
    [TestCase("{\"model_type\":\"gemma\"}", "not supported")]
    [TestCase("{}", "not supported")]
    [TestCase("{\"model_type\":\"llama\",\"hidden_size\":64}", "'num_attention_heads' is missing")]
    [TestCase("{\"model_type\":\"llama\",\"hidden_size\":64.5,\"num_attention_heads\":4}", "not a 32-bit integer")]
    [TestCase("{\"model_type\":\"llama\",\"hidden_size\":64,\"num_attention_heads\":5,\"num_hidden_layers\":1,\"vocab_size\":10,\"intermediate_size\":8}", "not a multiple")]
    [TestCase("{\"model_type\":\"llama\",\"hidden_size\":64,\"num_attention_heads\":4,\"num_hidden_layers\":1,\"vocab_size\":10,\"intermediate_size\":8,\"tie_word_embeddings\":1}", "not true or false")]
    [TestCase("[1,2]", "not an object")]
    [TestCase("{\"model_type\":", "invalid JSON")]
    public void RejectsBadConfig(string json, string reason)
    {
        Assert.That(Fails(json).Reason, Does.Contain(reason));
    }

    // Llama-3.2-1B-Instruct's config.json (abridged to the fields the engine reads).
    [Test]
    public void Llama3RopeScalingAndTiedEmbeddings()
    {
        var c = Read("""
            {"architectures":["LlamaForCausalLM"],"bos_token_id":128000,"eos_token_id":[128001,128008,128009],"head_dim":64,
             "hidden_size":2048,"intermediate_size":8192,"max_position_embeddings":131072,"model_type":"llama",
             "num_attention_heads":32,"num_hidden_layers":16,"num_key_value_heads":8,"rms_norm_eps":1e-05,
             "rope_scaling":{"factor":32.0,"high_freq_factor":4.0,"low_freq_factor":1.0,"original_max_position_embeddings":8192,"rope_type":"llama3"},
             "rope_theta":500000.0,"tie_word_embeddings":true,"torch_dtype":"bfloat16","vocab_size":128256}
            """).Llama;
        Assert.That(c.Llama3Rope, Is.EqualTo(new Llama3RopeScaling(32f, 1f, 4f, 8192)));
        Assert.That((c.RopeScaling, c.RopeScale, c.RopeTheta, c.HeadDimension, c.HeadDim), Is.EqualTo(("llama3", 1f, 500000f, 0, 64)));
        Assert.That(c.TiedEmbeddings);
    }

    // Qwen2.5-0.5B-Instruct and Mistral-Nemo-Instruct-2407 (abridged): biases and neox RoPE; an explicit head_dim.
    [Test]
    public void Qwen2AndExplicitHeadDim()
    {
        var q = Read("""
            {"architectures":["Qwen2ForCausalLM"],"bos_token_id":151643,"eos_token_id":151645,"hidden_size":896,
             "intermediate_size":4864,"max_position_embeddings":32768,"max_window_layers":21,"model_type":"qwen2",
             "num_attention_heads":14,"num_hidden_layers":24,"num_key_value_heads":2,"rms_norm_eps":1e-06,"rope_theta":1000000.0,
             "sliding_window":32768,"tie_word_embeddings":true,"use_sliding_window":false,"vocab_size":151936}
            """).Llama;
        Assert.That((q.Architecture, q.AttentionBias, q.SlidingWindow, q.HeadDim, q.GgufRopeLayout),
            Is.EqualTo(("qwen2", true, 0, 64, Minerva.Native.Tensors.RopeLayout.HalfSplit)));
        var nemo = Read("""
            {"architectures":["MistralForCausalLM"],"head_dim":128,"hidden_size":5120,"intermediate_size":14336,
             "max_position_embeddings":1024000,"model_type":"mistral","num_attention_heads":32,"num_hidden_layers":40,
             "num_key_value_heads":8,"rms_norm_eps":1e-05,"rope_theta":1000000.0,"sliding_window":null,"vocab_size":131072}
            """).Llama;
        Assert.That((nemo.HeadDim, nemo.QDim, nemo.KvDim, nemo.SlidingWindow), Is.EqualTo((128, 4096, 1024, 0)));
        var v01 = Read("""
            {"architectures":["MistralForCausalLM"],"hidden_size":4096,"intermediate_size":14336,"model_type":"mistral",
             "num_attention_heads":32,"num_hidden_layers":32,"num_key_value_heads":8,"sliding_window":4096,"vocab_size":32000}
            """).Llama;
        Assert.That(v01.SlidingWindow, Is.EqualTo(4096));
    }

    [Test]
    public void WrittenConfigReadsBackEqual()
    {
        var original = new LlamaConfig
        {
            Architecture = "llama", VocabSize = 300, HiddenSize = 96, Layers = 3, Heads = 6, KvHeads = 2, FfnSize = 200,
            ContextLength = 512, RopeTheta = 12345.5f, RopeScale = 2.5f, RmsEpsilon = 1e-5f, TiedEmbeddings = true,
            BosTokenId = 7, EosTokenId = 9, Name = "test",
        };
        var back = Read(HfLlamaConfig.ToHf(original, "float16").ToJson());
        Assert.That(back.Llama, Is.EqualTo(original));
        Assert.That(back.TorchDType, Is.EqualTo("float16"));
        Assert.That(Read(HfLlamaConfig.ToHf(original with { RopeScale = 1f }).ToJson()).Llama.RopeScale, Is.EqualTo(1f));
        foreach (var preset in new[] { ModelPreset.Llama32_1B, ModelPreset.SmolLM2_135M, ModelPreset.Qwen25_05B })
            Assert.That(Read(HfLlamaConfig.ToHf(preset).ToJson()).Llama, Is.EqualTo(preset with { Name = "test" }), preset.Name);
    }
}
