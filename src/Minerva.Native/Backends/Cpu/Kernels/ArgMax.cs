// argmax_i x[i], the first index on ties; NaN never wins (llama.cpp's greedy sampler keeps the first maximum).
namespace Minerva.Native.Backends.Cpu.Kernels;

internal static unsafe class ArgMax
{
    public static int Run(float* x, int n)
    {
        int best = 0;
        float max = float.NegativeInfinity;
        for (int i = 0; i < n; i++)
            if (x[i] > max) { max = x[i]; best = i; }
        return best;
    }
}
