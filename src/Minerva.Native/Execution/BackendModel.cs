using Minerva.Native.Tensors;
using Minerva.Native.Model;

namespace Minerva.Native.Execution;

/// <summary>A model's weights loaded once onto a backend (views of the mapping on the CPU, device copies on a GPU).</summary>
internal sealed class BackendModel : IDisposable
{
    /// <param name="backend">Where the weights go.</param>
    /// <param name="config">The model description.</param>
    /// <param name="weights">The file's tensors.</param>
    /// <param name="progress">0..1 by bytes loaded.</param>
    /// <param name="cancellation">Checked between tensors; what was loaded is freed.</param>
    public BackendModel(IBackend backend, LlamaConfig config, LlamaWeights weights, IProgress<double>? progress = null,
        CancellationToken cancellation = default)
    {
        config.Validate();
        Backend = backend;
        Config = config;
        QkLayout = weights.QkLayout;
        long total = Math.Max(1, weights.All.Sum(t => t.ByteCount)), done = 0;
        var loaded = new List<IBackendWeight>();
        IBackendWeight Load(WeightTensor t)
        {
            cancellation.ThrowIfCancellationRequested();
            var w = backend.Load(t);
            loaded.Add(w);
            progress?.Report((done += t.ByteCount) / (double)total);
            return w;
        }
        try
        {
            Embedding = Load(weights.TokenEmbedding);
            OutputNorm = Load(weights.OutputNorm);
            Output = ReferenceEquals(weights.Output, weights.TokenEmbedding) ? Embedding : Load(weights.Output);
            RopeFreqs = weights.RopeFreqs is { } ff ? Load(ff) : null;
            Layers = weights.Layers.Select(l => l.Map(Load)).ToArray();
            backend.PrepareMatMul(Output);
            foreach (var layer in Layers)
                foreach (var w in layer.Present)
                {
                    cancellation.ThrowIfCancellationRequested();
                    backend.PrepareMatMul(w);
                }
        }
        catch
        {
            foreach (var w in loaded) w.Dispose();
            throw;
        }
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
