using Minerva.Native.Formats.Gguf;
using Minerva.Native.Tests.Model;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Cli;

/// <summary>The commands people run, end to end, including what they print for bad input (one line, non-zero exit).</summary>
public class CliTests
{
    private static void AssertOneLineError(CliProcess.Result r, int exitCode, string mustContain)
    {
        Assert.That(r.ExitCode, Is.EqualTo(exitCode), r.StdErr);
        var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), $"expected one line on stderr, got:\n{r.StdErr}");
        Assert.That(lines[0], Does.Contain(mustContain));
        Assert.That(r.StdErr, Does.Not.Contain("   at "), "no stack trace");
    }

    [Test]
    public void MakeModelThenInfoShowTheModel()
    {
        string dir = TestPaths.NewScratch("cli");
        string path = Path.Combine(dir, "tiny.gguf");
        var made = CliProcess.Run("make-model", "--preset", "tiny", "--format", "gguf", "-o", path);
        Assert.That(made.ExitCode, Is.EqualTo(0), made.StdErr);
        var info = CliProcess.Run("info", path);
        Assert.That(info.ExitCode, Is.EqualTo(0), info.StdErr);
        Assert.That(info.StdOut, Does.Contain("GGUF").And.Contain("llama").And.Contain("F32 x"));
        var json = CliProcess.Run("info", path, "--json", "--tensors");
        Assert.That(json.StdOut, Does.Contain("\"tensors\"").And.Contain("blk.1.ffn_down.weight"));
        Directory.Delete(dir, true);
    }

    [Test]
    public void QuantizeShowsTheQ4KMMix()
    {
        string dir = TestPaths.NewScratch("cli");
        string output = Path.Combine(dir, "q4km.gguf");
        var r = CliProcess.Run("quantize", TestModels.Gguf("f32"), output, "--type", "q4_k_m");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
        var info = CliProcess.Run("info", output);
        // Two layers: layer 1 (the last eighth) gets Q6_K for attn_v and ffn_down; the output layer Q6_K.
        Assert.That(info.StdOut, Does.Contain("Q4_K x13").And.Contain("Q6_K x3").And.Contain("F32 x5"));
        Directory.Delete(dir, true);
    }

    [Test]
    public void RunStreamsTextAndReportsSpeed()
    {
        var r = CliProcess.Run("run", "-m", TestModels.Gguf("q8_0"), "-p", "Hello world", "-n", "8", "--temp", "0", "--device", "cpu", "--threads", "2");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
        Assert.That(r.StdOut, Does.StartWith("Hello world"));
        Assert.That(r.StdErr, Does.Match(@"prompt: \d+ tokens, [\d.]+ tokens/s \| generation: 8 tokens, [\d.]+ tokens/s"));
    }

    [Test]
    public void TruncatedModelIsOneLineError()
    {
        string dir = TestPaths.NewScratch("cli");
        string bad = Path.Combine(dir, "bad.gguf");
        var bytes = File.ReadAllBytes(TestModels.Gguf("f32"));
        File.WriteAllBytes(bad, bytes.AsSpan(0, bytes.Length / 3).ToArray());
        AssertOneLineError(CliProcess.Run("info", bad), 1, "bad.gguf");
        AssertOneLineError(CliProcess.Run("run", "-m", bad, "-p", "hi", "--device", "cpu"), 1, "bad.gguf");
        Directory.Delete(dir, true);
    }

    [Test]
    public void MissingFileAndBadFlagsAreOneLineErrors()
    {
        AssertOneLineError(CliProcess.Run("run", "-m", "/nonexistent/model.gguf", "-p", "hi"), 1, "/nonexistent/model.gguf");
        AssertOneLineError(CliProcess.Run("run", "-m", TestModels.Gguf("f32"), "-p", "hi", "--device", "tpu"), 2, "--device");
        AssertOneLineError(CliProcess.Run("make-model", "--preset", "giant", "-o", "/tmp/x.gguf"), 2, "unknown preset 'giant'");
        AssertOneLineError(CliProcess.Run("frobnicate"), 2, "unknown command");
    }

    [Test]
    public void PromptLongerThanTheContextIsOneLineError()
    {
        string prompt = string.Concat(Enumerable.Repeat("the world ", 200));
        var r = CliProcess.Run("run", "-m", TestModels.Gguf("f32"), "-p", prompt, "-c", "64", "--device", "cpu");
        AssertOneLineError(r, 1, "context");
    }

    [Test]
    public void EmptyPromptIsOneLineError() =>
        AssertOneLineError(CliProcess.Run("run", "-m", TestModels.Gguf("f32"), "-p", "", "--device", "cpu"), 2, "empty");

    [Test]
    public void MissingGpuIsOneLineErrorWhenCudaIsRequested()
    {
        if (Minerva.Native.Backends.Cuda.CudaDevice.Probe().IsAvailable) Assert.Ignore("this machine has a GPU");
        AssertOneLineError(CliProcess.Run("run", "-m", TestModels.Gguf("f32"), "-p", "hi", "--device", "cuda"), 1, "CUDA");
    }

    [Test]
    public void UnknownArchitectureIsOneLineError()
    {
        string dir = TestPaths.NewScratch("cli");
        string path = Path.Combine(dir, "gpt.gguf");
        using (var src = GgufFile.Open(TestModels.Gguf("f32")))
        {
            var w = GgufWriter.FromFile(src);
            var copy = new GgufWriter();
            foreach (var e in src.Metadata)
                copy.AddMetadata(e.Key, e.Key == "general.architecture" ? GgufValue.Of("gpt-neox") : e.Value);
            foreach (var t in src.Tensors) copy.AddTensor(t.Name, t.Type, t.Dims);
            copy.Write(path, w.CopyDataFrom(src));
        }
        AssertOneLineError(CliProcess.Run("run", "-m", path, "-p", "hi", "--device", "cpu"), 1, "architecture 'gpt-neox' is not supported");
        Directory.Delete(dir, true);
    }

    [Test]
    public void UnsupportedTensorTypeIsOneLineError()
    {
        string dir = TestPaths.NewScratch("cli");
        string path = Path.Combine(dir, "iq.gguf");
        using (var src = GgufFile.Open(TestModels.Gguf("f32")))
        {
            var copy = new GgufWriter();
            foreach (var e in src.Metadata) copy.AddMetadata(e.Key, e.Value);
            var types = src.Tensors.Select(t => t.Name == "blk.0.attn_q.weight" ? GgmlType.IQ4_NL : t.Type).ToArray();
            for (int i = 0; i < types.Length; i++) copy.AddTensor(src.Tensors[i].Name, types[i], src.Tensors[i].Dims);
            copy.Write(path, (i, stream) =>
            {
                if (types[i] == src.Tensors[i].Type) stream.Write(src.TensorSpan(src.Tensors[i]));
                else stream.Write(new byte[GgmlTypes.RowBytes(types[i], src.Tensors[i].Dims[0]) * src.Tensors[i].Dims[1]]);
            });
        }
        AssertOneLineError(CliProcess.Run("run", "-m", path, "-p", "hi", "--device", "cpu"), 1, "IQ4_NL");
        Directory.Delete(dir, true);
    }

    [Test]
    public void SafeTensorsFolderWithoutTokenizerIsOneLineError()
    {
        string dir = TestPaths.NewScratch("cli");
        string folder = Path.Combine(dir, "hf");
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.GetFiles(TestModels.SafeTensors("f32")))
            if (!Path.GetFileName(f).StartsWith("tokenizer", StringComparison.Ordinal)) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        AssertOneLineError(CliProcess.Run("run", "-m", folder, "-p", "hi", "--device", "cpu"), 1, "no tokenizer");
        Directory.Delete(dir, true);
    }
}
