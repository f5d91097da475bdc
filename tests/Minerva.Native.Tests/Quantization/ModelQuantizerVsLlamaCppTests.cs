using LLama.Native;
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Model;
using Minerva.Native.Quantization;
using Minerva.Native.Tests.Model;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Quantization;

/// <summary>
/// `quantize` against llama.cpp's own quantizer (llama_model_quantize through LLamaSharp) on the same F32 GGUF:
/// the same type for every tensor; byte-identical tensors for the round-to-nearest formats; for K-quants, an RMSE
/// (against the F32 source) no worse than 1.05x llama.cpp's.
/// </summary>
[NonParallelizable]
public class ModelQuantizerVsLlamaCppTests
{
    // Nine layers, so llama.cpp's use_more_bits picks some middle layers too (0, 1?, 4, 7, 8 ...).
    private static readonly LlamaConfig NineLayers = ModelPreset.Tiny with { Layers = 9, Name = "minerva-nine" };

    [TestCase("q4_0", LLamaFtype.MOSTLY_Q4_0)]
    [TestCase("q4_1", LLamaFtype.MOSTLY_Q4_1)]
    [TestCase("q5_0", LLamaFtype.MOSTLY_Q5_0)]
    [TestCase("q5_1", LLamaFtype.MOSTLY_Q5_1)]
    [TestCase("q8_0", LLamaFtype.MOSTLY_Q8_0)]
    [TestCase("q2_k", LLamaFtype.MOSTLY_Q2_K)]
    [TestCase("q3_k_m", LLamaFtype.MOSTLY_Q3_K_M)]
    [TestCase("q4_k_m", LLamaFtype.MOSTLY_Q4_K_M)]
    [TestCase("q5_k_m", LLamaFtype.MOSTLY_Q5_K_M)]
    [TestCase("q6_k", LLamaFtype.MOSTLY_Q6_K)]
    [TestCase("f16", LLamaFtype.MOSTLY_F16)]
    [TestCase("bf16", LLamaFtype.MOSTLY_BF16)]
    public void SameTypesAndBytesAsLlamaCpp(string type, LLamaFtype ftype)
    {
        string f32 = TestModels.Gguf("f32", NineLayers, "nine");
        string dir = TestPaths.NewScratch("quant");
        string ours = Path.Combine(dir, "ours.gguf"), theirs = Path.Combine(dir, "llama.cpp.gguf");
        try
        {
            ModelQuantizer.Quantize(f32, ours, QuantMix.Parse(type));
            var p = LLamaModelQuantizeParams.Default();
            p.ftype = ftype;
            p.nthread = 2;
            Assert.That(NativeApi.llama_model_quantize(f32, theirs, ref p), Is.EqualTo(0u), "llama_model_quantize failed");

            using var src = GgufFile.Open(f32);
            using var a = GgufFile.Open(ours);
            using var b = GgufFile.Open(theirs);
            Assert.That(a.Tensors.Select(t => t.Name).Order(), Is.EqualTo(b.Tensors.Select(t => t.Name).Order()));
            foreach (var tb in b.Tensors)
            {
                var ta = a.FindTensor(tb.Name)!;
                Assert.That(ta.Type, Is.EqualTo(tb.Type), $"{type}: {tb.Name} type");
                var info = GgmlTypes.Info(tb.Type);
                bool roundToNearest = tb.Type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q4_0 or GgmlType.Q4_1
                    or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0;
                if (roundToNearest)
                {
                    Assert.That(a.TensorSpan(ta).SequenceEqual(b.TensorSpan(tb)), Is.True, $"{type}: {tb.Name} ({info.Name}) bytes differ from llama.cpp's");
                    continue;
                }
                var original = Dequantize(src, src.FindTensor(tb.Name)!);
                double rmsOurs = Rmse(original, Dequantize(a, ta)), rmsTheirs = Rmse(original, Dequantize(b, tb));
                Assert.That(rmsOurs, Is.LessThanOrEqualTo(rmsTheirs * 1.05 + 1e-12), $"{type}: {tb.Name} ({info.Name}) RMSE {rmsOurs:E4} vs llama.cpp {rmsTheirs:E4}");
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void SafeTensorsFolderQuantizesToTheSameTensorsAsTheGgufAndLlamaCppRunsIt()
    {
        string dir = TestPaths.NewScratch("quant-hf");
        try
        {
            string fromHf = Path.Combine(dir, "hf.gguf"), fromGguf = Path.Combine(dir, "gguf.gguf");
            ModelQuantizer.Quantize(TestModels.SafeTensors("f32"), fromHf, QuantMix.Parse("q8_0"));
            ModelQuantizer.Quantize(TestModels.Gguf("f32"), fromGguf, QuantMix.Parse("q8_0"));
            using (var a = GgufFile.Open(fromHf))
            using (var b = GgufFile.Open(fromGguf))
            {
                Assert.That(a.Tensors.Select(t => t.Name), Is.EqualTo(b.Tensors.Select(t => t.Name)));
                foreach (var ta in a.Tensors)
                    Assert.That(a.TensorSpan(ta).SequenceEqual(b.TensorSpan(b.FindTensor(ta.Name)!)), Is.True,
                        $"{ta.Name}: names, Q/K row permutation and bytes must match the GGUF conversion");
            }
            var tokens = TestModels.Tokens(8, ModelPreset.Tiny.VocabSize);
            using var cpp = new Tests.Reference.LlamaCppModel(fromHf);
            var logits = cpp.Logits(tokens);
            Assert.That(logits[^1].All(float.IsFinite), "llama.cpp runs the converted file");
        }
        finally { Directory.Delete(dir, true); }
    }

    private static float[] Dequantize(GgufFile f, GgufTensorInfo t)
    {
        var result = new float[t.ElementCount];
        QuantRegistry.Get(t.Type).Dequantize(f.TensorSpan(t), result);
        return result;
    }

    private static double Rmse(float[] x, float[] y)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += (double)(x[i] - y[i]) * (x[i] - y[i]);
        return Math.Sqrt(s / x.Length);
    }
}
