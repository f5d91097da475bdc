// MakeQkx2Quants and MakeQxQuants (KQuantSearch, from ggml-quants.c) run on TL.Count sub-blocks at once, one per lane.
// Inputs are transposed: element i of lane k at [i * Count + k]. Every branch of the reference becomes a per-lane select;
// each running sum stays one sequential chain per lane, so every lane yields the reference's floats bit for bit.
// Instead of the levels, the searches return the iscale and offset the winning levels were rounded with; the caller
// recomputes those levels (the same float operations) only where it needs them.
namespace Minerva.Native.Quantization.KQuants;

internal static unsafe class KQuantSearchLanes
{
    /// <summary>Levels of one lane as the winning trial of a search rounded them.</summary>
    public struct Winner
    {
        public float Iscale;     // the trial's iscale
        public float Offset;     // MakeQkx2Quants: the min the trial subtracted; MakeQxQuants: unused (0)
        public bool Degenerate;  // the reference set every level to 0
    }

    /// <summary>
    /// MakeQkx2Quants(n, nmax, x, w, ..., rmin, rdelta, nstep, useMad: false) on every lane; x and w are [n, Count].
    /// Writes the scales, the mins (the reference's theMin) and the winners, Count of each.
    /// </summary>
    public static void Qkx2<TL, TV>(int n, int nmax, float* x, float* w, float* laux, float rmin, float rdelta, int nstep,
        float* scaleOut, float* minOut, Winner* winners)
        where TL : struct, IKLanes<TV> where TV : unmanaged
    {
        int c = TL.Count;
        TV zero = TL.Splat(0f), vnmax = TL.Splat(nmax);
        TV x0 = TL.Load(x), min = x0, max = x0;
        TV sumW = TL.Load(w);
        TV sumX = TL.Mul(sumW, x0);
        for (int i = 1; i < n; ++i)
        {
            TV xi = TL.Load(x + i * c), wi = TL.Load(w + i * c);
            min = TL.Select(TL.Less(xi, min), xi, min);
            max = TL.Select(TL.Less(max, xi), xi, max);
            sumW = TL.Add(sumW, wi);
            sumX = TL.Add(sumX, TL.Mul(wi, xi));
        }
        min = TL.Select(TL.Less(zero, min), zero, min);
        TV degenerate = TL.Equal(max, min);
        TV min0 = min;
        TV iscale = TL.Div(vnmax, TL.Sub(max, min));
        TV scale = TL.Div(TL.Splat(1f), iscale);
        TV bestError = zero;
        for (int i = 0; i < n; ++i)
        {
            TV xi = TL.Load(x + i * c);
            TV l = TL.NearestClamped(TL.Mul(iscale, TL.Sub(xi, min)), zero, vnmax);
            TV diff = TL.Sub(TL.Add(TL.Mul(scale, l), min), xi);
            bestError = TL.Add(bestError, TL.Mul(TL.Load(w + i * c), TL.Mul(diff, diff)));
        }
        TV bestIscale = iscale, bestOffset = min;
        for (int iS = 0; iS <= nstep; ++iS)
        {
            iscale = TL.Div(TL.Splat(rmin + rdelta * iS + nmax), TL.Sub(max, min));
            TV sumL = zero, sumL2 = zero, sumXl = zero;
            for (int i = 0; i < n; ++i)
            {
                TV xi = TL.Load(x + i * c);
                TV l = TL.NearestClamped(TL.Mul(iscale, TL.Sub(xi, min)), zero, vnmax);
                TL.Store(l, laux + i * c);
                TV wl = TL.Mul(TL.Load(w + i * c), l);
                sumL = TL.Add(sumL, wl);
                sumL2 = TL.Add(sumL2, TL.Mul(wl, l));
                sumXl = TL.Add(sumXl, TL.Mul(wl, xi));
            }
            TV D = TL.Sub(TL.Mul(sumW, sumL2), TL.Mul(sumL, sumL));
            TV positive = TL.Less(zero, D);
            if (!TL.Any(positive)) continue;
            TV thisScale = TL.Div(TL.Sub(TL.Mul(sumW, sumXl), TL.Mul(sumX, sumL)), D);
            TV thisMin = TL.Div(TL.Sub(TL.Mul(sumL2, sumX), TL.Mul(sumL, sumXl)), D);
            TV clampMin = TL.Less(zero, thisMin);
            thisMin = TL.Select(clampMin, zero, thisMin);
            thisScale = TL.Select(clampMin, TL.Div(sumXl, sumL2), thisScale);
            TV curError = zero;
            for (int i = 0; i < n; ++i)
            {
                TV diff = TL.Sub(TL.Add(TL.Mul(thisScale, TL.Load(laux + i * c)), thisMin), TL.Load(x + i * c));
                curError = TL.Add(curError, TL.Mul(TL.Load(w + i * c), TL.Mul(diff, diff)));
            }
            TV take = TL.And(positive, TL.Less(curError, bestError));
            bestIscale = TL.Select(take, iscale, bestIscale);
            bestOffset = TL.Select(take, min, bestOffset);
            bestError = TL.Select(take, curError, bestError);
            scale = TL.Select(take, thisScale, scale);
            min = TL.Select(take, thisMin, min);
        }
        TL.Store(TL.Select(degenerate, zero, scale), scaleOut);
        TL.Store(TL.Neg(TL.Select(degenerate, min0, min)), minOut);
        float* tmp = stackalloc float[3 * 16];
        TL.Store(bestIscale, tmp);
        TL.Store(bestOffset, tmp + 16);
        TL.Store(degenerate, tmp + 32);
        for (int k = 0; k < c; k++)
            winners[k] = new Winner { Iscale = tmp[k], Offset = tmp[16 + k], Degenerate = BitConverter.SingleToInt32Bits(tmp[32 + k]) != 0 };
    }

    /// <summary>The levels of a MakeQkx2Quants winner: clamp(NearestInt(iscale * (x - offset)), 0, nmax).</summary>
    public static void Qkx2Levels(in Winner win, int nmax, ReadOnlySpan<float> x, Span<byte> L)
    {
        if (win.Degenerate) { L.Slice(0, x.Length).Clear(); return; }
        for (int i = 0; i < x.Length; i++)
            L[i] = (byte)Math.Max(0, Math.Min(nmax, QuantMath.NearestInt(win.Iscale * (x[i] - win.Offset))));
    }

    /// <summary>
    /// MakeQxQuants(n, nmax, x, L, rmseType: 1, qw: empty) on every lane; x is [n, Count]. Writes the scales and winners.
    /// </summary>
    public static void Qx<TL, TV>(int n, int nmax, float* x, float* wx, float* scaleOut, Winner* winners)
        where TL : struct, IKLanes<TV> where TV : unmanaged
    {
        int c = TL.Count;
        TV zero = TL.Splat(0f), lo = TL.Splat(-nmax), hi = TL.Splat(nmax - 1);
        TV max = zero, amax = zero;
        for (int i = 0; i < n; ++i)
        {
            TV xi = TL.Load(x + i * c);
            TV ax = TL.Abs(xi);
            TV bigger = TL.Less(amax, ax);
            amax = TL.Select(bigger, ax, amax);
            max = TL.Select(bigger, xi, max);
            TL.Store(TL.Mul(TL.Mul(xi, xi), xi), wx + i * c);   // w * x with w = x * x (rmse_type 1)
        }
        TV tiny = TL.Less(amax, TL.Splat(1e-15f));
        TV iscale = TL.Div(TL.Splat(-nmax), max);
        TV sumlx = zero, suml2 = zero;
        for (int i = 0; i < n; ++i)
        {
            TV xi = TL.Load(x + i * c);
            TV l = TL.NearestClamped(TL.Mul(iscale, xi), lo, hi);
            sumlx = TL.Add(sumlx, TL.Mul(TL.Load(wx + i * c), l));
            suml2 = TL.Add(suml2, TL.Mul(TL.Mul(TL.Mul(xi, xi), l), l));
        }
        TV scale = TL.Select(TL.NotEqual(suml2, zero), TL.Div(sumlx, suml2), zero);
        TV best = TL.Mul(scale, sumlx);
        TV bestIscale = iscale;
        for (int iS = -9; iS <= 9; ++iS)
        {
            if (iS == 0) continue;
            iscale = TL.Div(TL.Splat(-(nmax + 0.1f * iS)), max);
            sumlx = suml2 = zero;
            for (int i = 0; i < n; ++i)
            {
                TV xi = TL.Load(x + i * c);
                TV l = TL.NearestClamped(TL.Mul(iscale, xi), lo, hi);
                sumlx = TL.Add(sumlx, TL.Mul(TL.Load(wx + i * c), l));
                suml2 = TL.Add(suml2, TL.Mul(TL.Mul(TL.Mul(xi, xi), l), l));
            }
            TV take = TL.And(TL.Less(zero, suml2), TL.Less(TL.Mul(best, suml2), TL.Mul(sumlx, sumlx)));
            TV newScale = TL.Div(sumlx, suml2);
            bestIscale = TL.Select(take, iscale, bestIscale);
            scale = TL.Select(take, newScale, scale);
            best = TL.Select(take, TL.Mul(newScale, sumlx), best);
        }
        TL.Store(TL.Select(tiny, zero, scale), scaleOut);
        float* tmp = stackalloc float[2 * 16];
        TL.Store(bestIscale, tmp);
        TL.Store(tiny, tmp + 16);
        for (int k = 0; k < c; k++)
            winners[k] = new Winner { Iscale = tmp[k], Offset = 0, Degenerate = BitConverter.SingleToInt32Bits(tmp[16 + k]) != 0 };
    }

    /// <summary>The levels of a MakeQxQuants winner: nmax + clamp(NearestInt(iscale * x), -nmax, nmax - 1).</summary>
    public static void QxLevels(in Winner win, int nmax, ReadOnlySpan<float> x, Span<byte> L)
    {
        if (win.Degenerate) { L.Slice(0, x.Length).Clear(); return; }
        for (int i = 0; i < x.Length; i++)
            L[i] = (byte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, QuantMath.NearestInt(win.Iscale * x[i]))));
    }
}
