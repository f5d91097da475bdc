// The iteration order of llama.cpp's token_to_id (std::unordered_map<std::string, llama_token> filled in id order) under
// GCC's libstdc++: _Hash_bytes (seed 0xc70f6907), _Prime_rehash_policy (load 1.0, growth 2, its prime table), new nodes
// at the front of their bucket, rehash relinking as _M_rehash_aux. llama.cpp takes the first EOT/FIM text in this order.
using System.Text;

namespace Minerva.Native.Tokenization;

internal static class LibstdcxxTokenOrder
{
    /// <summary>Each token's position when llama.cpp iterates token_to_id (a repeated text keeps its first id's node).</summary>
    public static int[] Positions(IReadOnlyList<string> tokens)
    {
        int n = tokens.Count;
        var hashes = new ulong[n];
        var next = new int[n + 1];           // node links; node n is _M_before_begin, -1 ends the list
        var seen = new HashSet<string>(n, StringComparer.Ordinal);
        int[] buckets = [-1];               // per bucket: the node before its first node, -1 when empty
        next[n] = -1;
        ulong bucketCount = 1, nextResize = 0, elements = 0;
        for (int id = 0; id < n; id++)
        {
            if (!seen.Add(tokens[id])) { next[id] = -2; continue; }
            hashes[id] = Hash(Encoding.UTF8.GetBytes(tokens[id]));
            if (elements + 1 > nextResize)
            {
                double minBuckets = Math.Max(elements + 1, nextResize == 0 ? 11UL : 0UL) / 1.0;
                if (minBuckets >= bucketCount)
                {
                    bucketCount = NextBucket(Math.Max((ulong)Math.Floor(minBuckets) + 1, bucketCount * 2), out nextResize);
                    buckets = Rehash(next, hashes, n, bucketCount);
                }
                else nextResize = bucketCount;
            }
            int bucket = (int)(hashes[id] % bucketCount);
            if (buckets[bucket] >= 0)
            {
                next[id] = next[buckets[bucket]];
                next[buckets[bucket]] = id;
            }
            else
            {
                next[id] = next[n];
                next[n] = id;
                if (next[id] >= 0) buckets[(int)(hashes[next[id]] % bucketCount)] = id;
                buckets[bucket] = n;
            }
            elements++;
        }
        var positions = new int[n];
        Array.Fill(positions, int.MaxValue);
        int position = 0;
        for (int node = next[n]; node >= 0; node = next[node]) positions[node] = position++;
        return positions;
    }

    private static int[] Rehash(int[] next, ulong[] hashes, int beforeBegin, ulong bucketCount)
    {
        var buckets = new int[bucketCount];
        Array.Fill(buckets, -1);
        int p = next[beforeBegin];
        next[beforeBegin] = -1;
        int beginBucket = 0;
        while (p >= 0)
        {
            int following = next[p];
            int bucket = (int)(hashes[p] % bucketCount);
            if (buckets[bucket] < 0)
            {
                next[p] = next[beforeBegin];
                next[beforeBegin] = p;
                buckets[bucket] = beforeBegin;
                if (next[p] >= 0) buckets[beginBucket] = p;
                beginBucket = bucket;
            }
            else
            {
                next[p] = next[buckets[bucket]];
                next[buckets[bucket]] = p;
            }
            p = following;
        }
        return buckets;
    }

    private static ulong NextBucket(ulong n, out ulong nextResize)
    {
        ReadOnlySpan<byte> fast = [2, 2, 2, 3, 5, 5, 7, 7, 11, 11, 11, 11, 13, 13];
        if (n < (ulong)fast.Length)
        {
            nextResize = fast[(int)n];
            return fast[(int)n];
        }
        int i = Array.BinarySearch(Primes, 6, Primes.Length - 6, n);
        if (i < 0) i = ~i;
        if (i >= Primes.Length) throw new NotSupportedException("vocabulary too large for the libstdc++ bucket table kept here");
        nextResize = Primes[i];
        return Primes[i];
    }

    /// <summary>std::_Hash_bytes for 64-bit size_t (a MurmurHash2 variant) with std::hash&lt;std::string&gt;'s seed.</summary>
    private static ulong Hash(ReadOnlySpan<byte> bytes)
    {
        const ulong mul = 0xc6a4a7935bd1e995UL;
        static ulong ShiftMix(ulong v) => v ^ (v >> 47);
        ulong hash = 0xc70f6907UL ^ ((ulong)bytes.Length * mul);
        int aligned = bytes.Length & ~7;
        for (int p = 0; p < aligned; p += 8)
        {
            ulong data = ShiftMix(System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes[p..]) * mul) * mul;
            hash ^= data;
            hash *= mul;
        }
        if ((bytes.Length & 7) != 0)
        {
            ulong data = 0;
            for (int i = bytes.Length - 1; i >= aligned; i--) data = (data << 8) + bytes[i];
            hash ^= data;
            hash *= mul;
        }
        hash = ShiftMix(hash) * mul;
        return ShiftMix(hash);
    }

    // libstdc++'s __prime_list up to 10^8 (hashtable-aux.cc).
    private static readonly ulong[] Primes =
    [
        2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 103, 109, 113,
        127, 137, 139, 149, 157, 167, 179, 193, 199, 211, 227, 241, 257, 277, 293, 313, 337, 359, 383, 409, 439, 467,
        503, 541, 577, 619, 661, 709, 761, 823, 887, 953, 1031, 1109, 1193, 1289, 1381, 1493, 1613, 1741, 1879, 2029,
        2179, 2357, 2549, 2753, 2971, 3209, 3469, 3739, 4027, 4349, 4703, 5087, 5503, 5953, 6427, 6949, 7517, 8123, 8783,
        9497, 10273, 11113, 12011, 12983, 14033, 15173, 16411, 17749, 19183, 20753, 22447, 24281, 26267, 28411, 30727,
        33223, 35933, 38873, 42043, 45481, 49201, 53201, 57557, 62233, 67307, 72817, 78779, 85229, 92203, 99733, 107897,
        116731, 126271, 136607, 147793, 159871, 172933, 187091, 202409, 218971, 236897, 256279, 277261, 299951, 324503,
        351061, 379787, 410857, 444487, 480881, 520241, 562841, 608903, 658753, 712697, 771049, 834181, 902483, 976369,
        1056323, 1142821, 1236397, 1337629, 1447153, 1565659, 1693859, 1832561, 1982627, 2144977, 2320627, 2510653,
        2716249, 2938679, 3179303, 3439651, 3721303, 4026031, 4355707, 4712381, 5098259, 5515729, 5967347, 6456007,
        6984629, 7556579, 8175383, 8844859, 9569143, 10352717, 11200489, 12117689, 13109983, 14183539, 15345007,
        16601593, 17961079, 19431899, 21023161, 22744717, 24607243, 26622317, 28802401, 31160981, 33712729, 36473443,
        39460231, 42691603, 46187573, 49969847, 54061849, 58488943, 63278561, 68460391, 74066549, 80131819, 86693767,
        93793069
    ];
}
