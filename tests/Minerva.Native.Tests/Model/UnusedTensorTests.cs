// A model file with a tensor the forward pass would not read is refused by name (never silently dropped weights).
using Minerva.Native.Formats;
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Formats.SafeTensors;
using Minerva.Native.Model;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Model;

public class UnusedTensorTests
{
    [Test]
    public void GgufWithAnUnusedTensorIsRefusedByName()
    {
        string path = Path.Combine(TestPaths.NewScratch("unused"), "extra.gguf");
        using (var source = GgufFile.Open(TestModels.Gguf("f32")))
        {
            var w = GgufWriter.FromFile(source);
            var extra = w.AddTensor("blk.0.attn_q_norm.weight", GgmlType.F32, [64]);
            var copy = w.CopyDataFrom(source);
            w.Write(path, (i, s) => { if (i == extra.Index) s.Write(new byte[extra.ByteSize]); else copy(i, s); });
        }
        var e = Assert.Throws<ModelFormatException>(() => LlamaModel.Load(path, new ModelOptions { Device = DeviceKind.Cpu }).Dispose())!;
        Assert.That(e.Reason, Does.Contain("'blk.0.attn_q_norm.weight'").And.Contain("not used"));
    }

    [Test]
    public void SafeTensorsWithAnUnusedTensorIsRefusedByName()
    {
        string folder = Path.Combine(TestPaths.NewScratch("unused"), "hf");
        Directory.CreateDirectory(folder);
        foreach (string f in Directory.GetFiles(TestModels.SafeTensors("f32")))
            File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        using (var st = SafeTensorsFile.Open(Path.Combine(folder, "model.safetensors")))
        {
            var w = new SafeTensorsWriter();
            foreach (var t in st.Tensors)
            {
                var info = t;
                w.Add(info.Name, info.DType, info.Shape, s => s.Write(st.TensorSpan(info)));
            }
            w.Add("model.layers.0.self_attn.rotary_emb.inv_freq", SafeTensorDType.F32, [32], s => s.Write(new byte[128]));
            w.Write(Path.Combine(folder, "model2.safetensors"));
        }
        File.Move(Path.Combine(folder, "model2.safetensors"), Path.Combine(folder, "model.safetensors"), overwrite: true);
        var e = Assert.Throws<ModelFormatException>(() => LlamaModel.Load(folder, new ModelOptions { Device = DeviceKind.Cpu }).Dispose())!;
        Assert.That(e.Reason, Does.Contain("'model.layers.0.self_attn.rotary_emb.inv_freq'"));
    }
}
