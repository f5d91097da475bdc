// LlamaModel.WeightBytesPerToken against the GGUF header's tensor sizes: every tensor but the token embedding table, unless it is tied as the output.
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Model;

namespace Minerva.Native.Tests.Model;

public class WeightBytesPerTokenTests
{
    [TestCase("q4_k_m", false)]
    [TestCase("q8_0", true)]
    public void EqualsTheTensorBytesOneTokenReads(string type, bool tied)
    {
        var config = tied ? ModelPreset.Tiny with { Name = "tiny-tied", Architecture = "qwen2", AttentionBias = true, TiedEmbeddings = true } : null;
        string path = TestModels.Gguf(type, config, tied ? "tiny-tied" : "tiny");

        long expected;
        using (var file = GgufFile.Open(path))
        {
            Assert.That(file.FindTensor("output.weight") is null, Is.EqualTo(tied));
            Assert.That(file.Tensors.Select(t => t.Name), tied ? Does.Contain("blk.0.attn_q.bias") : Does.Not.Contain("blk.0.attn_q.bias"));
            expected = file.Tensors.Where(t => tied || t.Name != "token_embd.weight").Sum(t => t.ByteSize);
        }
        using var model = LlamaModel.Load(path, new ModelOptions { Device = DeviceKind.Cpu, Threads = 1, ContextLength = 64 });
        Assert.That(model.WeightBytesPerToken, Is.EqualTo(expected));
    }
}
