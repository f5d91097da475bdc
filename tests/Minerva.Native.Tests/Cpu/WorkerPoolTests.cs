// The worker pool runs every chunk exactly once per dispatch, surfaces worker exceptions, and a decode step allocates nothing.
using Minerva.Native.Backends.Cpu;
using Minerva.Native.Execution;
using Minerva.Native.Model;
using Minerva.Native.Tensors;

namespace Minerva.Native.Tests.Cpu;

public class WorkerPoolTests
{
    private sealed class CountingJob(int chunks) : IParallelJob
    {
        public readonly int[] Hits = new int[chunks];
        public readonly int[] Workers = new int[chunks];
        public int ThrowAt = -1;
        public void Execute(int chunk, int worker)
        {
            if (chunk == ThrowAt) throw new InvalidOperationException("boom");
            Interlocked.Increment(ref Hits[chunk]);
            Workers[chunk] = worker;
            Thread.SpinWait(200);
        }
    }

    [Test]
    public void EveryChunkRunsOncePerDispatch([Values(1, 2, 4)] int threads)
    {
        using var pool = new WorkerPool(threads);
        var job = new CountingJob(97);
        for (int round = 1; round <= 200; round++)
        {
            pool.Run(job, round % 2 == 0 ? 97 : 5);
            Assert.That(job.Hits[..5], Is.All.EqualTo(round), $"round {round}");
            Assert.That(job.Hits[5..], Is.All.EqualTo(round / 2), $"round {round}");
        }
        Assert.That(job.Workers.All(w => w >= 0 && w < threads));
    }

    [Test]
    public void WorkerExceptionsReachTheCaller()
    {
        using var pool = new WorkerPool(3);
        var job = new CountingJob(64) { ThrowAt = 40 };
        Assert.Throws<InvalidOperationException>(() => pool.Run(job, 64));
        job.ThrowAt = -1;
        pool.Run(job, 64);
        Assert.That(job.Hits[63], Is.GreaterThanOrEqualTo(1), "the pool still works after a failure");
    }

    [Test]
    public unsafe void DecodeStepOpsAllocateNothing()
    {
        var rng = new Random(5);
        using var backend = new CpuBackend(threads: 2);
        using var tw = CpuTestData.Weight(rng, GgmlType.F16, 64, 32);
        using var norm = CpuTestData.Weight(rng, GgmlType.F32, 1, 32);
        using var w = backend.Load(tw.Tensor);
        using var nw = backend.Load(norm.Tensor);
        using var x = backend.Allocate(1, 32);
        using var y = backend.Allocate(1, 64);
        using var h = backend.Allocate(1, 32);
        using var cache = backend.AllocateKvCache(1, 16, 32);
        var rope = new RopeParameters(10000f, 1f, RopeLayout.Interleaved);
        int[] token = [1];
        void Step()
        {
            backend.RmsNorm(x, nw, 1e-5f, h);
            backend.MatMul(h, w, y);
            backend.StoreKv(cache, 0, h, h);
            backend.Rope(h, 2, 16, rope);
            backend.Attention(x, cache, 0, new AttentionShape(2, 2, 16), h);
            backend.SiluMul(x, h, h);
            backend.Add(x, h);
            backend.ArgMax(y, 0);
        }
        Action step = Step;
        int[] position = [0], sequence = [0];
        for (int pos = 0; pos < 3; pos++) { position[0] = pos; backend.SetInput(token, position, sequence); backend.Run(1, step); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int pos = 3; pos < 10; pos++) { position[0] = pos; backend.SetInput(token, position, sequence); backend.Run(1, step); }
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }
}
