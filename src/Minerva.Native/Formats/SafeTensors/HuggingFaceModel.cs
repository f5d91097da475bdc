// A Hugging Face model folder: config.json + model.safetensors or model.safetensors.index.json (weight_map -> shards),
// tokenizer files beside them (transformers' save_pretrained layout).
using System.Text.Json;
using Minerva.Native.Tensors;

namespace Minerva.Native.Formats.SafeTensors;

/// <summary>A tensor of a Hugging Face model: the shard it lies in and its entry there.</summary>
public readonly record struct HfTensor(SafeTensorsFile File, SafeTensorInfo Info)
{
    public unsafe byte* Data => File.TensorData(Info);
}

/// <summary>
/// An opened Hugging Face Llama/Mistral checkpoint: its config, one name → tensor lookup over every shard, and the
/// paths of the tokenizer files found beside it. Owns the shard mappings.
/// </summary>
public sealed class HuggingFaceModel : IDisposable
{
    public const string ConfigFile = "config.json";
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    private readonly List<SafeTensorsFile> _shards;
    private readonly Dictionary<string, HfTensor> _tensors;
    private readonly List<string> _names;

    private HuggingFaceModel(string folder, HfConfig config, List<SafeTensorsFile> shards,
        Dictionary<string, HfTensor> tensors, List<string> names)
    {
        Folder = folder;
        HfConfig = config;
        _shards = shards;
        _tensors = tensors;
        _names = names;
        TokenizerJsonPath = Existing("tokenizer.json");
        TokenizerModelPath = Existing("tokenizer.model");
        TokenizerConfigPath = Existing(HfTokenizerConfig.FileName);
    }

    /// <summary>
    /// Opens a folder (model.safetensors, else model.safetensors.index.json and its shards) or a single .safetensors file
    /// whose folder holds config.json. Every problem is a <see cref="ModelFormatException"/>.
    /// </summary>
    public static HuggingFaceModel Open(string fileOrFolder)
    {
        string full = Path.GetFullPath(fileOrFolder);
        string folder;
        string? single = null, index = null;
        if (File.Exists(full))
        {
            folder = Path.GetDirectoryName(full)!;
            single = full;
        }
        else if (Directory.Exists(full))
        {
            folder = full;
            if (File.Exists(Path.Combine(folder, SingleFile))) single = Path.Combine(folder, SingleFile);
            else if (File.Exists(Path.Combine(folder, IndexFile))) index = Path.Combine(folder, IndexFile);
            else throw new ModelFormatException(folder, -1, $"neither {SingleFile} nor {IndexFile} is in the folder");
        }
        else
        {
            throw new ModelFormatException(full, -1, "no such file or folder");
        }

        string configPath = Path.Combine(folder, ConfigFile);
        if (!File.Exists(configPath))
            throw new ModelFormatException(configPath, -1, "config.json is missing: a Hugging Face model needs it beside the weights");
        var config = HfConfig.Read(configPath);

        var shards = new List<SafeTensorsFile>();
        try
        {
            var tensors = new Dictionary<string, HfTensor>(StringComparer.Ordinal);
            var names = new List<string>();
            if (single is not null)
            {
                var file = SafeTensorsFile.Open(single);
                shards.Add(file);
                foreach (var t in file.Tensors)
                {
                    tensors.Add(t.Name, new HfTensor(file, t));
                    names.Add(t.Name);
                }
            }
            else
            {
                OpenShards(folder, index!, shards, tensors, names);
            }
            return new HuggingFaceModel(folder, config, shards, tensors, names);
        }
        catch
        {
            foreach (var s in shards) s.Dispose();
            throw;
        }
    }

    private static void OpenShards(string folder, string index, List<SafeTensorsFile> shards,
        Dictionary<string, HfTensor> tensors, List<string> names)
    {
        var weightMap = new List<(string Tensor, string Shard)>();
        using (var doc = HfJson.Load(index))
        {
            if (!doc.RootElement.Has("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException(index, -1, "'weight_map' is missing or not an object");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in map.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                    throw new ModelFormatException(index, -1, $"weight_map entry '{p.Name}' is {p.Value.ValueKind}, not a file name");
                if (!seen.Add(p.Name)) throw new ModelFormatException(index, -1, $"weight_map lists '{p.Name}' twice");
                string shard = p.Value.GetString()!;
                if (shard.Length == 0 || shard is "." or ".." || Path.GetFileName(shard) != shard || Path.IsPathRooted(shard))
                    throw new ModelFormatException(index, -1, $"weight_map entry '{p.Name}' names '{shard}', not a file in the folder");
                weightMap.Add((p.Name, shard));
            }
        }
        if (weightMap.Count == 0) throw new ModelFormatException(index, -1, "weight_map is empty");

        var byShard = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        foreach (var (_, shard) in weightMap)
        {
            if (byShard.ContainsKey(shard)) continue;
            string path = Path.Combine(folder, shard);
            if (!File.Exists(path)) throw new ModelFormatException(index, -1, $"shard '{shard}' named in the weight_map does not exist");
            var file = SafeTensorsFile.Open(path);
            shards.Add(file);
            byShard.Add(shard, file);
        }
        foreach (var (name, shard) in weightMap)
        {
            var file = byShard[shard];
            if (!file.TryGetTensor(name, out var info))
                throw new ModelFormatException(file.Path, -1, $"tensor '{name}' is mapped to this shard by {IndexFile} but is not in it");
            tensors.Add(name, new HfTensor(file, info));
            names.Add(name);
        }
    }

    public string Folder { get; }
    public HfConfig HfConfig { get; }
    /// <summary>The opened safetensors files, in the order first referenced.</summary>
    public IReadOnlyList<SafeTensorsFile> Shards => _shards;
    /// <summary>Tensor names in file order (single file) or weight_map order (sharded).</summary>
    public IReadOnlyList<string> TensorNames => _names;

    public string? TokenizerJsonPath { get; }
    /// <summary>SentencePiece model (tokenizer.model), when present.</summary>
    public string? TokenizerModelPath { get; }
    public string? TokenizerConfigPath { get; }

    public bool TryGetTensor(string name, out HfTensor tensor) => _tensors.TryGetValue(name, out tensor);

    /// <summary>The tensor called <paramref name="name"/>; a <see cref="ModelFormatException"/> when the model lacks it.</summary>
    public HfTensor GetTensor(string name) =>
        _tensors.TryGetValue(name, out var t) ? t : throw new ModelFormatException(Folder, -1, $"the model has no tensor '{name}'");

    /// <summary>
    /// The tensor as an engine weight: ggml dimension order (innermost first), pointing into the mapping. Only F32, F16
    /// and BF16 can be computed; other dtypes are a <see cref="ModelFormatException"/>.
    /// </summary>
    public unsafe WeightTensor ToWeightTensor(string name)
    {
        var t = GetTensor(name);
        if (!t.Info.DType.TryToGgml(out GgmlType type))
            throw new ModelFormatException(t.File.Path, -1,
                $"tensor '{name}' is {t.Info.DType}; only F32, F16 and BF16 safetensors weights are supported");
        long[] dims = t.Info.Shape.Length == 0 ? [1] : t.Info.Shape.Reverse().ToArray();
        return new WeightTensor(name, type, dims, t.Data, t.Info.ByteSize) { FileMapped = true };
    }

    public void Dispose()
    {
        foreach (var s in _shards) s.Dispose();
    }

    private string? Existing(string file)
    {
        string p = Path.Combine(Folder, file);
        return File.Exists(p) ? p : null;
    }
}
