using System.Diagnostics.CodeAnalysis;
using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text;

namespace Backprop.NN;

/// <summary>What a discovered member of a module holds.</summary>
internal enum MemberKind
{
    Parameter,
    Buffer,
    Child,
}

/// <summary>One field of a module type that holds state: its key, its kind and whether it holds a list.</summary>
internal sealed record DiscoveredField(FieldInfo Field, string Name, MemberKind Kind, bool IsList);

/// <summary>
/// Finds the parameters, buffers and children of a module type by reflection over its instance
/// fields (auto-property backing fields included), so a custom module needs no registration call.
/// Only the field list is cached per type: values are read at call time because fields can be
/// reassigned after construction.
/// </summary>
internal static class ModuleDiscovery
{
    private static readonly ConcurrentDictionary<Type, DiscoveredField[]> s_cache = new();

    /// <summary>The state-holding fields of <paramref name="type"/>, base classes first, each in declaration order.</summary>
    public static DiscoveredField[] FieldsOf(Type type) => s_cache.GetOrAdd(type, Discover);

    /// <summary>
    /// PyTorch's snake_case key for a C# member name: <c>Weight</c> → <c>weight</c>,
    /// <c>RunningMean</c> → <c>running_mean</c>, <c>_bias</c> → <c>bias</c>,
    /// <c>&lt;Weight&gt;k__BackingField</c> → <c>weight</c>, <c>WeightIhL0</c> → <c>weight_ih_l0</c>.
    /// </summary>
    public static string ToSnakeCase(string memberName)
    {
        string name = memberName;
        if (name.StartsWith('<'))
        {
            // Compiler-generated: auto-property backing field <Name>k__BackingField or captured primary-constructor parameter <name>P.
            int close = name.IndexOf('>');
            name = close > 1 ? name[1..close] : name.TrimStart('<');
        }

        name = name.TrimStart('_');
        if (name.StartsWith("m_", StringComparison.Ordinal) || name.StartsWith("s_", StringComparison.Ordinal))
        {
            name = name[2..];
        }

        var sb = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                bool afterLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                bool endsAcronym = i > 0 && char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                if ((afterLowerOrDigit || endsAcronym) && sb.Length > 0 && sb[^1] != '_')
                {
                    sb.Append('_');
                }

                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Module is annotated with DynamicallyAccessedMembers for its fields, which the trimmer applies to every type derived from it, so each type of the hierarchy keeps the fields read here.")]
    private static DiscoveredField[] Discover(Type type)
    {
        var hierarchy = new Stack<Type>();
        for (var t = type; t is not null && t != typeof(Module); t = t.BaseType)
        {
            hierarchy.Push(t);
        }

        var result = new List<DiscoveredField>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in hierarchy)
        {
            var fields = t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
            Array.Sort(fields, (a, b) => a.MetadataToken.CompareTo(b.MetadataToken));
            foreach (var field in fields)
            {
                if (Classify(field) is not { } found)
                {
                    continue;
                }

                if (seen.TryGetValue(found.Name, out var other))
                {
                    throw new InvalidOperationException(
                        $"{type.Name}: fields '{other}' and '{field.Name}' both map to the state key '{found.Name}'; rename one or mark it [Unregistered]");
                }

                seen.Add(found.Name, field.Name);
                result.Add(found);
            }
        }

        return [.. result];
    }

    private static DiscoveredField? Classify(FieldInfo field)
    {
        var type = field.FieldType;
        bool isModule = typeof(Module).IsAssignableFrom(type);
        bool isTensor = type == typeof(Tensor);
        bool isModuleList = !isModule && typeof(IEnumerable<Module>).IsAssignableFrom(type);
        bool isTensorList = !isTensor && typeof(IEnumerable<Tensor>).IsAssignableFrom(type);
        if (!(isModule || isTensor || isModuleList || isTensorList) || HasAttribute<UnregisteredAttribute>(field))
        {
            return null;
        }

        string name = ToSnakeCase(field.Name);
        if (isModule || isModuleList)
        {
            return new DiscoveredField(field, name, MemberKind.Child, isModuleList);
        }

        var kind = HasAttribute<BufferAttribute>(field) ? MemberKind.Buffer : MemberKind.Parameter;
        return new DiscoveredField(field, name, kind, isTensorList);
    }

    /// <summary>True if the field, or the auto-property it backs, carries <typeparamref name="T"/>.</summary>
    private static bool HasAttribute<T>(FieldInfo field)
        where T : Attribute
    {
        if (field.IsDefined(typeof(T), inherit: true))
        {
            return true;
        }

        const string backingSuffix = ">k__BackingField";
        if (field.Name.StartsWith('<') && field.Name.EndsWith(backingSuffix, StringComparison.Ordinal))
        {
            string propertyName = field.Name[1..^backingSuffix.Length];
            var property = field.DeclaringType!.GetProperty(
                propertyName,
                BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
            return property is not null && property.IsDefined(typeof(T), inherit: true);
        }

        return false;
    }

    /// <summary>The items of a list-valued field, in order (null entries kept so indices stay stable).</summary>
    public static IEnumerable<object?> Items(object list) => ((IEnumerable)list).Cast<object?>();
}
