// Peak RSS: touching 64 MiB after Begin() must raise the reported peak by about that much (VmHWM reset, or sampling elsewhere).
using Minerva.Native.Cli.Bench;

namespace Minerva.Native.Tests.Bench;

public class PeakMemoryTests
{
    [Test]
    public void PeakFollowsMemoryTouchedDuringTheRun()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("deterministic only with Linux's VmHWM; elsewhere a sampler thread sees the peak");
        const int size = 64 << 20;
        using var memory = PeakMemory.Begin();
        long before = memory.PeakBytes();
        byte[] block = GC.AllocateUninitializedArray<byte>(size);
        for (int i = 0; i < block.Length; i += 4096) block[i] = 1;
        long after = memory.PeakBytes();
        GC.KeepAlive(block);
        Assert.That(before, Is.GreaterThan(1 << 20));
        Assert.That(after - before, Is.GreaterThan(size * 0.9));
    }

    [Test]
    public void StatusLineIsParsedInKiB()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("/proc/self/status is Linux-only");
        long? rss = PeakMemory.ReadStatusKiB("VmRSS:");
        Assert.That(rss, Is.Not.Null);
        using var p = System.Diagnostics.Process.GetCurrentProcess();
        Assert.That(rss!.Value * 1024.0, Is.EqualTo(p.WorkingSet64).Within(25).Percent);
    }
}
