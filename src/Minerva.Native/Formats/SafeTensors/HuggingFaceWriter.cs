// Writes a Hugging Face model folder as transformers' save_pretrained does: config.json (sorted keys, indent 2),
// model.safetensors or model-0000i-of-0000n.safetensors shards + model.safetensors.index.json.
using System.Text.Json;

namespace Minerva.Native.Formats.SafeTensors;

/// <summary>One tensor to write: its bytes are streamed by <paramref name="Write"/> (exactly the size dtype × shape gives).</summary>
public sealed record HfTensorSource(string Name, SafeTensorDType DType, long[] Shape, Action<Stream> Write)
{
    public long ByteSize => DType.ByteSize(SafeTensorDTypes.ElementCount(Shape));
}

public static class HuggingFaceWriter
{
    /// <summary>
    /// Writes config.json (<paramref name="config"/>; its torch_dtype is filled from the tensors when it has none) and the tensors (in the order given). With
    /// <paramref name="shardBytes"/> the tensors are split into shards of at most that many bytes (a larger tensor gets a
    /// shard of its own) listed by an index; when everything fits in one, a single model.safetensors is written.
    /// </summary>
    public static void Write(string folder, HfConfig config, IEnumerable<HfTensorSource> tensors, long? shardBytes = null)
    {
        var list = tensors.ToList();
        Directory.CreateDirectory(folder);
        if (config.TorchDType is null) config = config with { TorchDType = list.Count > 0 ? TorchName(list[0].DType) : "float32" };
        File.WriteAllText(Path.Combine(folder, HuggingFaceModel.ConfigFile), config.ToJson());

        var shards = new List<List<HfTensorSource>> { new() };
        long inShard = 0;
        foreach (var t in list)
        {
            long size = t.ByteSize;
            if (size < 0) throw new ArgumentException($"tensor '{t.Name}' has no whole byte size");
            if (shardBytes is long limit && shards[^1].Count > 0 && inShard + size > limit)
            {
                shards.Add([]);
                inShard = 0;
            }
            shards[^1].Add(t);
            inShard += size;
        }

        if (shards.Count == 1)
        {
            WriteShard(Path.Combine(folder, HuggingFaceModel.SingleFile), shards[0]);
            return;
        }
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            string name = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            WriteShard(Path.Combine(folder, name), shards[i]);
            foreach (var t in shards[i]) weightMap.Add(t.Name, name);
        }
        using var stream = File.Create(Path.Combine(folder, HuggingFaceModel.IndexFile));
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartObject("metadata");
        json.WriteNumber("total_size", list.Sum(t => t.ByteSize));
        json.WriteEndObject();
        json.WriteStartObject("weight_map");
        foreach (var (k, v) in weightMap) json.WriteString(k, v);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    public static string TorchName(SafeTensorDType t) => t switch
    {
        SafeTensorDType.F32 => "float32",
        SafeTensorDType.F16 => "float16",
        SafeTensorDType.BF16 => "bfloat16",
        _ => throw new ArgumentException($"{t} is not a torch_dtype a Llama checkpoint uses", nameof(t)),
    };

    private static void WriteShard(string path, List<HfTensorSource> tensors)
    {
        var w = new SafeTensorsWriter().AddMetadata("format", "pt");
        foreach (var t in tensors) w.Add(t.Name, t.DType, t.Shape, t.Write);
        w.Write(path);
    }
}
