using System.Reflection;
using System.Reflection.Emit;

namespace Backprop.Tests.Architecture;

/// <summary>
/// Lists the types a type uses: in its signatures (base type, interfaces, fields, properties,
/// parameters, return types, generic constraints) and in its method bodies (every type, method and
/// field token of the IL), so a dependency hidden in a body (a local, a call, a cast) counts too.
/// </summary>
internal static class DependencyScanner
{
    private const BindingFlags Everything = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> s_opCodes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>Every type <paramref name="type"/> uses, with what uses it (for the failure message).</summary>
    public static IEnumerable<(Type Used, string Where)> UsedTypes(Type type)
    {
        foreach (var t in Signature(type))
        {
            yield return (t, type.FullName!);
        }

        foreach (var method in type.GetMethods(Everything).Cast<MethodBase>().Concat(type.GetConstructors(Everything)))
        {
            foreach (var t in MethodSignature(method).Concat(Body(method)))
            {
                yield return (t, $"{type.FullName}.{method.Name}");
            }
        }
    }

    private static IEnumerable<Type> Signature(Type type)
    {
        if (type.BaseType is { } b)
        {
            yield return b;
        }

        foreach (var i in type.GetInterfaces())
        {
            yield return i;
        }

        foreach (var f in type.GetFields(Everything))
        {
            yield return f.FieldType;
        }

        foreach (var p in type.GetProperties(Everything))
        {
            yield return p.PropertyType;
        }

        foreach (var g in type.IsGenericTypeDefinition ? type.GetGenericArguments() : [])
        {
            foreach (var c in g.GetGenericParameterConstraints())
            {
                yield return c;
            }
        }
    }

    private static IEnumerable<Type> MethodSignature(MethodBase method)
    {
        foreach (var p in method.GetParameters())
        {
            yield return p.ParameterType;
        }

        if (method is MethodInfo m)
        {
            yield return m.ReturnType;
            foreach (var g in m.IsGenericMethodDefinition ? m.GetGenericArguments() : [])
            {
                foreach (var c in g.GetGenericParameterConstraints())
                {
                    yield return c;
                }
            }
        }
    }

    private static IEnumerable<Type> Body(MethodBase method)
    {
        var body = method.GetMethodBody();
        if (body is null)
        {
            yield break;
        }

        foreach (var local in body.LocalVariables)
        {
            yield return local.LocalType;
        }

        byte[] il = body.GetILAsByteArray() ?? [];
        var typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            var op = s_opCodes[value];
            i += op.Size;
            switch (op.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    {
                        var member = method.Module.ResolveMember(BitConverter.ToInt32(il, i), typeArgs, methodArgs);
                        if (member is Type t)
                        {
                            yield return t;
                        }
                        else if (member?.DeclaringType is { } declaring)
                        {
                            yield return declaring;
                            if (member is MethodBase called)
                            {
                                foreach (var s in MethodSignature(called))
                                {
                                    yield return s;
                                }
                            }
                            else if (member is FieldInfo field)
                            {
                                yield return field.FieldType;
                            }
                        }

                        i += 4;
                        break;
                    }

                case OperandType.InlineSwitch:
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    i += 8;
                    break;
                default:
                    i += 4;
                    break;
            }
        }
    }

    /// <summary>The type itself and, for arrays, pointers, by-refs and generic instances, the types it is made of.</summary>
    public static IEnumerable<Type> Parts(Type type)
    {
        if (type.HasElementType)
        {
            foreach (var t in Parts(type.GetElementType()!))
            {
                yield return t;
            }

            yield break;
        }

        if (type.IsGenericParameter)
        {
            yield break;
        }

        yield return type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        foreach (var a in type.IsGenericType ? type.GetGenericArguments() : [])
        {
            foreach (var t in Parts(a))
            {
                yield return t;
            }
        }
    }
}
