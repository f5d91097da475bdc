// Llama 3 RoPE scaling as per-pair frequency divisors, computed exactly as llama.cpp's convert_hf_to_gguf.py writes
// rope_freqs.weight: freq_i = 1 / base^(2i/d) (float32); wavelength 2π/freq (double); pairs of short wavelength keep
// their frequency (1), long ones are divided by factor, the band between is smoothed.
using System.Runtime.InteropServices;
using Minerva.Native.Tensors;

namespace Minerva.Native.Model;

/// <summary>rope_scaling {rope_type: llama3} of config.json (the fields transformers' _compute_llama3_parameters reads).</summary>
public sealed record Llama3RopeScaling(float Factor, float LowFreqFactor, float HighFreqFactor, int OriginalContextLength);

internal static class RopeFreqFactors
{
    public const string TensorName = "rope_freqs.weight";

    /// <summary>The divisor of each of the <c>headDim / 2</c> pair frequencies.</summary>
    public static float[] Llama3(Llama3RopeScaling s, float theta, int headDim)
    {
        double lowWavelength = s.OriginalContextLength / (double)s.LowFreqFactor;
        double highWavelength = s.OriginalContextLength / (double)s.HighFreqFactor;
        var factors = new float[headDim / 2];
        for (int i = 0; i < factors.Length; i++)
        {
            float freq = 1.0f / MathF.Pow(theta, 2 * i / (float)headDim);
            double wavelength = 2 * Math.PI / freq;
            if (wavelength < highWavelength) factors[i] = 1f;
            else if (wavelength > lowWavelength) factors[i] = s.Factor;
            else
            {
                double smooth = (s.OriginalContextLength / wavelength - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                factors[i] = (float)(1 / ((1 - smooth) / s.Factor + smooth));
            }
        }
        return factors;
    }

    /// <summary>The factors as an F32 weight in native memory owned by the returned handle (for files that do not store them).</summary>
    public static unsafe (WeightTensor Tensor, IDisposable Owner) AsWeight(float[] factors)
    {
        var owner = new NativeBuffer(factors.Length * sizeof(float));
        factors.AsSpan().CopyTo(new Span<float>((void*)owner.Pointer, factors.Length));
        return (new WeightTensor(TensorName, GgmlType.F32, [factors.Length], (byte*)owner.Pointer, owner.Bytes), owner);
    }

    private sealed unsafe class NativeBuffer(long bytes) : IDisposable
    {
        public nint Pointer { get; private set; } = (nint)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        public long Bytes => bytes;

        public void Dispose()
        {
            if (Pointer != 0) NativeMemory.AlignedFree((void*)Pointer);
            Pointer = 0;
        }
    }
}
