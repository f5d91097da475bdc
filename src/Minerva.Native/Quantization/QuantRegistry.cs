using Minerva.Native.Formats.Gguf;

namespace Minerva.Native.Quantization;

/// <summary>The traits row of every type the engine can compute with.</summary>
public static partial class QuantRegistry
{
    private static readonly Dictionary<GgmlType, QuantTraits> Rows = Build();

    public static bool IsSupported(GgmlType type) => Rows.ContainsKey(type);

    public static QuantTraits Get(GgmlType type) =>
        Rows.TryGetValue(type, out var t) ? t : throw new NotSupportedException($"tensor type {GgmlTypes.Info(type).Name} is not supported for compute");

    public static IEnumerable<QuantTraits> All => Rows.Values;

    private static Dictionary<GgmlType, QuantTraits> Build() => new();
}
