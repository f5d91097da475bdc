using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Minerva.Native.Formats.Gguf;
using Minerva.Native.Formats.SafeTensors;
using Minerva.Native.Cli.Parsing;
using Minerva.Native.Model;
using Minerva.Native.Tensors;

namespace Minerva.Native.Cli.Commands;

/// <summary>`minerva-native info PATH [--tensors] [--json]`: what is in a model file, like gguf-dump.</summary>
public static class InfoCommand
{
    private sealed record TensorRow(string Name, string Type, long[] Shape, long Bytes, long Offset, string? File = null);

    public static Command Create()
    {
        var path = new Argument<string>("PATH") { Description = "a .gguf file or a safetensors file/folder" };
        var tensors = new Option<bool>("--tensors") { Description = "the full tensor table (name, type, shape, bytes, offset)" };
        var metadata = new Option<bool>("--metadata") { Description = "every metadata key (GGUF; long arrays summarised)" };
        var json = new Option<bool>("--json") { Description = "machine-readable output" };
        var command = new CliCommand("info", "describe a model file: format, hyperparameters, tokenizer, tensor types") { path, tensors, metadata, json };
        command.SetAction(r => Run(r.GetValue(path)!, r.GetValue(tensors), r.GetValue(metadata), r.GetValue(json)));
        return command;
    }

    private static int Run(string path, bool tensors, bool metadata, bool json)
    {
        var report = new JsonObject();
        var rows = new List<TensorRow>();
        var meta = new JsonObject();
        bool isGguf = File.Exists(path) && !path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);
        if (isGguf) ReadGguf(path, report, rows, meta);
        else ReadSafeTensors(path, report, rows);

        report["tensor_count"] = rows.Count;
        report["parameters"] = rows.Sum(r => r.Shape.Aggregate(1L, (x, y) => x * y));
        report["type_mix"] = TypeMix(rows);
        var gpu = DeviceInfo.Cuda;
        report["gpu"] = gpu.Available ? gpu.Description : $"none ({gpu.Description})";
        if (metadata && isGguf) report["metadata"] = meta;
        if (tensors)
            report["tensors"] = new JsonArray(rows.Select(r => (JsonNode)new JsonObject
            {
                ["name"] = r.Name,
                ["type"] = r.Type,
                ["shape"] = new JsonArray(r.Shape.Select(d => (JsonNode)d).ToArray()),
                ["bytes"] = r.Bytes,
                ["offset"] = r.Offset,
                ["file"] = r.File,
            }).ToArray());

        if (json)
        {
            Console.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        foreach (var (key, value) in report)
        {
            if (key is "tensors" or "metadata" or "hyperparameters" or "tokenizer") continue;
            Console.WriteLine($"{key,-16} {Plain(value)}");
        }
        foreach (string section in new[] { "hyperparameters", "tokenizer" })
            if (report[section] is JsonObject o)
            {
                Console.WriteLine($"{section}:");
                foreach (var (k, v) in o) Console.WriteLine($"  {k,-22} {Plain(v)}");
            }
        if (metadata && isGguf)
        {
            Console.WriteLine("metadata:");
            foreach (var (k, v) in meta) Console.WriteLine($"  {k,-44} {Plain(v)}");
        }
        if (tensors)
        {
            Console.WriteLine($"{"#",5}  {"name",-48} {"type",-7} {"shape",-22} {"bytes",12} {"offset",14}");
            int i = 0;
            foreach (var r in rows)
                Console.WriteLine($"{i++,5}  {r.Name,-48} {r.Type,-7} {"[" + string.Join(", ", r.Shape) + "]",-22} {r.Bytes,12} {r.Offset,14}");
        }
        return 0;
    }

    private static string Plain(JsonNode? v) => v switch
    {
        null => "-",
        JsonValue val => val.ToString(),
        _ => v.ToJsonString(),
    };

    private static string TypeMix(List<TensorRow> rows) =>
        string.Join(", ", rows.GroupBy(r => r.Type).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).Select(g => $"{g.Key} x{g.Count()}"));

    private static void ReadGguf(string path, JsonObject report, List<TensorRow> rows, JsonObject meta)
    {
        using var f = GgufFile.Open(path);
        report["format"] = "GGUF";
        report["version"] = f.Version;
        report["file"] = path;
        report["file_size"] = $"{f.FileSize} ({Common.Bytes(f.FileSize)})";
        report["alignment"] = f.Alignment;
        report["architecture"] = f.TryGetString("general.architecture", out string arch) ? arch : "(none)";
        if (f.TryGetString("general.name", out string name)) report["name"] = name;
        foreach (var e in f.Metadata)
            meta[e.Key] = e.Value.Type == GgufValueType.Array
                ? (e.Value.AsArray().Count <= 16 ? e.Value.AsArray().ToString() + " " + string.Join(", ", Enumerable.Range(0, e.Value.AsArray().Count).Select(i => e.Value.AsArray()[i].ToString())) : e.Value.AsArray().ToString())
                : e.Value.ToString();
        try
        {
            var c = GgufModel.ReadConfig(f);
            report["hyperparameters"] = Hyper(c);
        }
        catch (Exception e) when (e is NotSupportedException or Formats.ModelFormatException)
        {
            report["hyperparameters"] = new JsonObject { ["note"] = e.Message };
        }
        var tok = new JsonObject();
        if (f.TryGetString("tokenizer.ggml.model", out string model)) tok["model"] = model;
        if (f.TryGetString("tokenizer.ggml.pre", out string pre)) tok["pre"] = pre;
        if (f.TryGetArray("tokenizer.ggml.tokens", out var toks)) tok["tokens"] = toks.Count;
        if (f.TryGetUInt32("tokenizer.ggml.bos_token_id", out uint bos)) tok["bos"] = bos;
        if (f.TryGetUInt32("tokenizer.ggml.eos_token_id", out uint eos)) tok["eos"] = eos;
        if (f.TryGetBool("tokenizer.ggml.add_bos_token", out bool addBos)) tok["add_bos"] = addBos;
        tok["chat_template"] = f.TryGetString("tokenizer.chat_template", out string tpl) ? $"{tpl.Length} chars" : "none";
        report["tokenizer"] = tok;
        foreach (var t in f.Tensors)
            rows.Add(new TensorRow(t.Name, GgmlTypes.Info(t.Type).Name, t.Dims, t.ByteSize, f.DataOffset + t.Offset));
    }

    private static void ReadSafeTensors(string path, JsonObject report, List<TensorRow> rows)
    {
        report["format"] = "safetensors";
        report["file"] = path;
        bool single = File.Exists(path) && !File.Exists(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, HuggingFaceModel.ConfigFile));
        if (single)
        {
            using var f = SafeTensorsFile.Open(path);
            report["file_size"] = $"{f.FileLength} ({Common.Bytes(f.FileLength)})";
            report["hyperparameters"] = new JsonObject { ["note"] = "no config.json beside the file" };
            foreach (var t in f.Tensors) rows.Add(new TensorRow(t.Name, t.DType.ToString(), t.Shape, t.ByteSize, f.DataStart + t.Begin, Path.GetFileName(f.Path)));
            return;
        }
        using var hf = HuggingFaceModel.Open(path);
        long bytes = hf.Shards.Sum(s => s.FileLength);
        report["files"] = hf.Shards.Count;
        report["file_size"] = $"{bytes} ({Common.Bytes(bytes)})";
        report["architecture"] = string.Join(", ", hf.HfConfig.Architectures);
        try
        {
            report["hyperparameters"] = Hyper(HfLlamaConfig.ToLlama(hf.HfConfig, Path.Combine(hf.Folder, HuggingFaceModel.ConfigFile)));
        }
        catch (Formats.ModelFormatException e)
        {
            report["hyperparameters"] = new JsonObject { ["note"] = e.Message };
        }
        string? template = hf.TokenizerConfigPath is { } tc ? HfTokenizerConfig.Read(tc).ChatTemplate : null;
        report["tokenizer"] = new JsonObject
        {
            ["tokenizer.model"] = hf.TokenizerModelPath is null ? "no" : "yes",
            ["tokenizer.json"] = hf.TokenizerJsonPath is null ? "no" : "yes",
            ["chat_template"] = template is null ? "none" : $"{template.Length} chars",
        };
        foreach (string name in hf.TensorNames)
        {
            var t = hf.GetTensor(name);
            rows.Add(new TensorRow(name, t.Info.DType.ToString(), t.Info.Shape, t.Info.ByteSize, t.File.DataStart + t.Info.Begin, Path.GetFileName(t.File.Path)));
        }
    }

    private static JsonObject Hyper(LlamaConfig c) => new()
    {
        ["vocab"] = c.VocabSize,
        ["hidden"] = c.HiddenSize,
        ["layers"] = c.Layers,
        ["heads"] = c.Heads,
        ["kv_heads"] = c.KvHeads,
        ["head_dim"] = c.HeadDim,
        ["ffn"] = c.FfnSize,
        ["context"] = c.ContextLength,
        ["rope_theta"] = c.RopeTheta,
        ["rope_scale"] = c.RopeScale,
        ["rms_eps"] = c.RmsEpsilon,
        ["tied_embeddings"] = c.TiedEmbeddings,
        ["bos"] = c.BosTokenId,
        ["eos"] = c.EosTokenId,
    };
}
