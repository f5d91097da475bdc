using Minerva.Native.Tensors;
using Minerva.Native.Model;

namespace Minerva.Native.Execution;

/// <summary>A model's weights loaded once onto a backend (views of the mapping on the CPU, device copies on a GPU).</summary>
public sealed class BackendModel : IDisposable
{
    public BackendModel(IBackend backend, LlamaConfig config, LlamaWeights weights)
    {
        config.Validate();
        Backend = backend;
        Config = config;
        QkLayout = weights.QkLayout;
        Embedding = backend.Load(weights.TokenEmbedding);
        OutputNorm = backend.Load(weights.OutputNorm);
        Output = ReferenceEquals(weights.Output, weights.TokenEmbedding) ? Embedding : backend.Load(weights.Output);
        RopeFreqs = weights.RopeFreqs is { } ff ? backend.Load(ff) : null;
        Layers = weights.Layers.Select(l => l.Map(backend.Load)).ToArray();
    }

    public IBackend Backend { get; }
    public LlamaConfig Config { get; }
    public RopeLayout QkLayout { get; }
    internal IBackendWeight Embedding { get; }
    internal IBackendWeight OutputNorm { get; }
    internal IBackendWeight Output { get; }
    internal IBackendWeight? RopeFreqs { get; }
    internal LayerSet<IBackendWeight>[] Layers { get; }

    public void Dispose()
    {
        var all = new HashSet<IBackendWeight> { Embedding, OutputNorm, Output };
        if (RopeFreqs is not null) all.Add(RopeFreqs);
        foreach (var l in Layers) all.UnionWith(l.Present);
        foreach (var w in all) w.Dispose();
    }
}
