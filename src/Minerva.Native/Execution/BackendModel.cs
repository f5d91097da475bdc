using Minerva.Native.Model;

namespace Minerva.Native.Execution;

/// <summary>A model's weights loaded once onto a backend (views of the mapping on the CPU, device copies on a GPU).</summary>
public sealed class BackendModel : IDisposable
{
    internal sealed record LayerHandles(
        IBackendWeight AttnNorm, IBackendWeight Wq, IBackendWeight Wk, IBackendWeight Wv, IBackendWeight Wo,
        IBackendWeight FfnNorm, IBackendWeight WGate, IBackendWeight WUp, IBackendWeight WDown);

    public BackendModel(IBackend backend, LlamaConfig config, LlamaWeights weights)
    {
        config.Validate();
        Backend = backend;
        Config = config;
        QkLayout = weights.QkLayout;
        Embedding = backend.Load(weights.TokenEmbedding);
        OutputNorm = backend.Load(weights.OutputNorm);
        Output = ReferenceEquals(weights.Output, weights.TokenEmbedding) ? Embedding : backend.Load(weights.Output);
        Layers = weights.Layers.Select(l => new LayerHandles(
            backend.Load(l.AttnNorm), backend.Load(l.Wq), backend.Load(l.Wk), backend.Load(l.Wv), backend.Load(l.Wo),
            backend.Load(l.FfnNorm), backend.Load(l.WGate), backend.Load(l.WUp), backend.Load(l.WDown))).ToArray();
    }

    public IBackend Backend { get; }
    public LlamaConfig Config { get; }
    public RopeLayout QkLayout { get; }
    internal IBackendWeight Embedding { get; }
    internal IBackendWeight OutputNorm { get; }
    internal IBackendWeight Output { get; }
    internal LayerHandles[] Layers { get; }

    public void Dispose()
    {
        var all = new HashSet<IBackendWeight> { Embedding, OutputNorm, Output };
        foreach (var l in Layers) all.UnionWith([l.AttnNorm, l.Wq, l.Wk, l.Wv, l.Wo, l.FfnNorm, l.WGate, l.WUp, l.WDown]);
        foreach (var w in all) w.Dispose();
    }
}
