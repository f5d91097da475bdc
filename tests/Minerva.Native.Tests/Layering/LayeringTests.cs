// DESIGN.md's dependency rules, checked on the compiled engine: every type a namespace touches (signatures, fields, base
// types, attributes' owners and every type or member token in its method bodies' IL) must lie in a namespace it may use.
using System.Reflection;
using System.Reflection.Emit;
using Minerva.Native.Execution;

namespace Minerva.Native.Tests.Layering;

public sealed class LayeringTests
{
    private const string Root = "Minerva.Native";

    // Which engine namespaces each layer may use (itself and its sub-namespaces always). The path of the data:
    // Tensors/Simd < Quantization, Formats < Tokenization < Model; Generation (sampling) < Execution (executor, scheduler)
    // < Backends < the root (LlamaModel, sessions, the chat client).
    private static readonly (string Layer, string[] MayUse)[] Rules =
    [
        ("Tensors", []),
        ("Simd", []),
        ("Quantization", ["Tensors", "Simd"]),
        ("Formats", ["Tensors"]),
        ("Tokenization", ["Formats", "Tensors"]),
        ("Model", ["Formats", "Tensors", "Simd", "Quantization", "Tokenization"]),
        ("Generation", ["Tokenization", "Tensors"]),
        ("Execution", ["Model", "Tensors", "Generation"]),
        ("Backends", ["Execution", "Tensors", "Simd", "Quantization", "Generation"]),
    ];

    private static string? EngineNamespace(Type t)
    {
        while (t.IsNested) t = t.DeclaringType!;
        string ns = t.Namespace ?? "";
        return ns == Root || ns.StartsWith(Root + ".", StringComparison.Ordinal) ? ns : null;
    }

    private static Type Outer(Type t)
    {
        while (t.IsNested) t = t.DeclaringType!;
        return t;
    }

    private static bool Within(string ns, string layer) => ns == $"{Root}.{layer}" || ns.StartsWith($"{Root}.{layer}.", StringComparison.Ordinal);

    [Test]
    public void EveryLayerUsesOnlyTheLayersBelowIt()
    {
        var assembly = typeof(IBackend).Assembly;
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        int checkedTypes = 0;
        foreach (var type in assembly.GetTypes())
        {
            string? ns = EngineNamespace(type);
            if (ns is null) continue; // compiler-generated helpers outside our namespaces
            bool rootLayer = ns == Root;
            var rule = Rules.FirstOrDefault(r => Within(ns, r.Layer));
            if (rule.Layer is null && !rootLayer) { violations.Add($"{ns} is not a known layer: add it to the rules"); continue; }
            checkedTypes++;
            foreach (var used in References(type))
            {
                string? target = EngineNamespace(used);
                if (target is null || target == Root && rootLayer) continue;
                if (rootLayer)
                {
                    // The composition root picks the backend in its factory (and DeviceInfo probes the GPU); nothing else
                    // there names a concrete one.
                    if ((Within(target, "Backends.Cpu") || Within(target, "Backends.Cuda")) && !Outer(type).Equals(typeof(BackendFactory)) && !Outer(type).Equals(typeof(DeviceInfo)))
                        violations.Add($"{type.FullName} -> {used.FullName}");
                    continue;
                }
                if (Within(target, rule.Layer!) || rule.MayUse.Any(l => Within(target, l))) continue;
                violations.Add($"{type.FullName} ({rule.Layer}) -> {used.FullName}");
            }
        }
        Assert.That(checkedTypes, Is.GreaterThan(100), "the scan saw the engine's types");
        Assert.That(violations, Is.Empty, string.Join("\n", violations));
    }

    [Test]
    public void TheScanSeesTypesUsedOnlyInsideMethodBodies()
    {
        // LlamaModel names the backend factory only in a method body: the IL walk must find it.
        var used = References(typeof(LlamaModel)).Select(t => t.FullName).ToHashSet();
        Assert.That(used, Does.Contain("Minerva.Native.BackendFactory"));
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    internal static IEnumerable<Type> References(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null || t.IsGenericParameter) return;
            if (t.HasElementType) { Add(t.GetElementType()); return; }
            if (t.IsGenericType && !t.IsGenericTypeDefinition)
            {
                foreach (var a in t.GetGenericArguments()) Add(a);
                t = t.GetGenericTypeDefinition();
            }
            found.Add(t);
        }
        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        foreach (var f in type.GetFields(All)) Add(f.FieldType);
        foreach (var p in type.GetProperties(All)) Add(p.PropertyType);
        foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (m is MethodInfo mi) Add(mi.ReturnType);
            foreach (var p in m.GetParameters()) Add(p.ParameterType);
            var body = m.GetMethodBody();
            if (body is null) continue;
            foreach (var local in body.LocalVariables) Add(local.LocalType);
            foreach (var token in Tokens(body.GetILAsByteArray() ?? []))
            {
                try
                {
                    var member = m.Module.ResolveMember(token, type.IsGenericType ? type.GetGenericArguments() : null,
                        m.IsGenericMethod ? m.GetGenericArguments() : null);
                    switch (member)
                    {
                        case Type t: Add(t); break;
                        case FieldInfo f: Add(f.DeclaringType); Add(f.FieldType); break;
                        case MethodBase mb: Add(mb.DeclaringType); break;
                    }
                }
                catch (ArgumentException) { } // a string or signature token
            }
        }
        found.Remove(type);
        return found;
    }

    // The metadata tokens of an IL stream (operands of the type/field/method opcodes).
    private static IEnumerable<int> Tokens(byte[] il)
    {
        for (int i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    yield return BitConverter.ToInt32(il, i);
                    i += 4;
                    break;
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: i += 1; break;
                case OperandType.InlineVar: i += 2; break;
                case OperandType.InlineI8 or OperandType.InlineR: i += 8; break;
                case OperandType.InlineSwitch: i += 4 + 4 * BitConverter.ToInt32(il, i); break;
                default: i += 4; break;
            }
        }
    }
}
