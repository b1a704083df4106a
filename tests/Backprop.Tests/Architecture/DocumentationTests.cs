using System.ComponentModel;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using Backprop.Onnx;
using Xunit.Abstractions;

namespace Backprop.Tests.Architecture;

/// <summary>
/// Every public method, constructor and operator of the two libraries (Backprop and Backprop.Onnx)
/// documents each of its parameters with a <c>&lt;param&gt;</c>, and each one that returns a value
/// documents it with a <c>&lt;returns&gt;</c>: checked against the XML documentation files the build
/// writes beside the assemblies, by the members' documentation IDs built from reflection. The compiler
/// checks only that a documented member has a doc comment (CS1591) and, once it has one
/// <c>&lt;param&gt;</c>, that it has them all (CS1573); a member with a summary and no
/// <c>&lt;param&gt;</c> or <c>&lt;returns&gt;</c> at all passes both, and fails here.
/// </summary>
public class DocumentationTests(ITestOutputHelper output)
{
    private static readonly Assembly[] s_libraries = [typeof(Tensor).Assembly, typeof(OnnxExport).Assembly, typeof(Backprop.Distributed.ProcessGroup).Assembly];

    /// <summary>
    /// One <c>&lt;param name="…"&gt;</c> per parameter, on each public (and protected, on a public unsealed
    /// type) method, constructor and operator of each public type; <c>&lt;inheritdoc/&gt;</c> counts as
    /// documented. An extension member of a C# 14 <c>extension(Tensor self)</c> block compiles to a
    /// static method of its <c>…Ops</c> class with the receiver first, whose XML entry is only
    /// <c>&lt;inheritdoc cref="…&lt;G&gt;$….Name(…)"/&gt;</c>, pointing to the block's skeleton member,
    /// which carries the comment as written, with the parameters after the receiver: those are
    /// required there. The receiver's own <c>&lt;param name="self"&gt;</c> goes on the block and the
    /// compiler does not ask for it, so neither does this test.
    /// </summary>
    [Fact]
    public void EveryPublicMethodDocumentsEachParameter()
    {
        var missing = new List<string>();
        int checkedMembers = 0;
        foreach (var assembly in s_libraries)
        {
            var docs = LoadDocs(assembly);
            foreach (var type in assembly.GetExportedTypes().Where(t => !t.Name.Contains('<')).OrderBy(t => t.FullName, StringComparer.Ordinal))
            {
                foreach (var (member, parameters) in DocumentedMembers(type))
                {
                    if (parameters.Length == 0)
                    {
                        continue;
                    }

                    checkedMembers++;
                    string id = DocId(member);
                    var undocumented = UndocumentedParameters(docs, id, member, parameters);
                    if (undocumented.Count > 0)
                    {
                        missing.Add($"{Readable(member)}: no <param> for {string.Join(", ", undocumented)}");
                    }
                }
            }
        }

        foreach (string line in missing.Take(50))
        {
            output.WriteLine(line);
        }

        output.WriteLine($"{missing.Count} of {checkedMembers} public members with parameters lack <param> docs.");
        Assert.True(checkedMembers > 500, $"only {checkedMembers} members were checked: the reflection walk lost some");
        Assert.True(
            missing.Count == 0,
            $"{missing.Count} public members lack <param> docs, the first: {Environment.NewLine}{string.Join(Environment.NewLine, missing.Take(50))}");
    }

    /// <summary>
    /// A non-empty <c>&lt;returns&gt;</c> on each public (and protected, on a public unsealed type) method,
    /// operator and delegate of each public type that returns a value: not <c>void</c>, and not a bare
    /// <c>Task</c> or <c>ValueTask</c>, which carries no value (<c>Task&lt;T&gt;</c> does).
    /// <c>&lt;inheritdoc/&gt;</c> counts as documented. An extension member's comment is read from its
    /// block's skeleton member, as for the parameters; an extension property's getter, like any property's,
    /// is documented on the property.
    /// </summary>
    [Fact]
    public void EveryPublicMethodDocumentsItsReturnValue()
    {
        var missing = new List<string>();
        int checkedMembers = 0;
        foreach (var assembly in s_libraries)
        {
            var docs = LoadDocs(assembly);
            foreach (var type in assembly.GetExportedTypes().Where(t => !t.Name.Contains('<')).OrderBy(t => t.FullName, StringComparer.Ordinal))
            {
                foreach (var (member, _) in DocumentedMembers(type))
                {
                    if (!ReturnsAValue(member))
                    {
                        continue;
                    }

                    checkedMembers++;
                    var comment = CommentOf(docs, DocId(member));
                    if (comment.Elsewhere)
                    {
                        continue;
                    }

                    if (comment.Entry?.Element("returns") is not { } returns || (string.IsNullOrWhiteSpace(returns.Value) && !returns.HasElements))
                    {
                        missing.Add($"{Readable(member)}: no <returns>");
                    }
                }
            }
        }

        foreach (string line in missing.Take(50))
        {
            output.WriteLine(line);
        }

        output.WriteLine($"{missing.Count} of {checkedMembers} public members that return a value lack <returns> docs.");
        Assert.True(checkedMembers > 500, $"only {checkedMembers} members were checked: the reflection walk lost some");
        Assert.True(
            missing.Count == 0,
            $"{missing.Count} public members lack <returns> docs, the first: {Environment.NewLine}{string.Join(Environment.NewLine, missing.Take(50))}");
    }

    /// <summary>The ID builder against IDs the compiler wrote, one of each kind, so that a wrong ID cannot pass as "no entry".</summary>
    [Fact]
    public void DocIdsMatchTheCompilers()
    {
        var docs = LoadDocs(typeof(Tensor).Assembly);
        var members = s_libraries.Take(1)
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => !t.Name.Contains('<'))
            .SelectMany(t => DocumentedMembers(t))
            .Where(m => m.Parameters.Length > 0) // an implicit parameterless constructor has no entry
            .Select(m => DocId(m.Member))
            .ToList();
        var unknown = members.Where(id => !docs.ContainsKey(id)).ToList();
        Assert.True(unknown.Count == 0, "IDs with no entry in Backprop.xml: " + string.Join(Environment.NewLine, unknown.Take(20)));
        Assert.Contains(members, id => id.Contains("``1(", StringComparison.Ordinal));        // a generic method
        Assert.Contains(members, id => id.Contains("{", StringComparison.Ordinal));           // a constructed generic parameter type
        Assert.Contains(members, id => id.Contains("[]", StringComparison.Ordinal));          // an array
        Assert.Contains(members, id => id.Contains(".op_", StringComparison.Ordinal));        // an operator
        Assert.Contains(members, id => id.Contains(".#ctor(", StringComparison.Ordinal));     // a constructor
    }

    private static Dictionary<string, XElement> LoadDocs(Assembly assembly)
    {
        string path = Path.ChangeExtension(assembly.Location, ".xml");
        Assert.True(File.Exists(path), $"{path} is missing: GenerateDocumentationFile must stay on in {assembly.GetName().Name}.csproj");
        return XDocument.Load(path).Descendants("member")
            .ToDictionary(m => (string)m.Attribute("name")!, StringComparer.Ordinal);
    }

    /// <summary>The methods, constructors and operators whose docs a user of the type reads, with the parameters their comment names.</summary>
    private static IEnumerable<(MemberInfo Member, ParameterInfo[] Parameters)> DocumentedMembers(Type type)
    {
        if (typeof(Delegate).IsAssignableFrom(type))
        {
            // A delegate's parameters are documented on the type (T:…), as those of its Invoke.
            yield return (type, type.GetMethod("Invoke")!.GetParameters());
            yield break;
        }

        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            bool visible = method.IsPublic || (!type.IsSealed && (method.IsFamily || method.IsFamilyOrAssembly));
            if (!visible || method.IsDefined(typeof(CompilerGeneratedAttribute)) || method.Name.Contains('<'))
            {
                continue;
            }

            if (method.IsSpecialName && method is MethodInfo && !method.Name.StartsWith("op_", StringComparison.Ordinal))
            {
                continue; // property and event accessors: documented on the property or event
            }

            if (method.GetCustomAttribute<EditorBrowsableAttribute>() is { State: EditorBrowsableState.Never })
            {
                continue;
            }

            yield return (method, method.GetParameters());
        }
    }

    /// <summary>Whether the member gives its caller a value: a method or operator not returning <c>void</c>, <c>Task</c> or <c>ValueTask</c>, or such a delegate.</summary>
    private static bool ReturnsAValue(MemberInfo member)
    {
        var returnType = member switch
        {
            Type delegateType => delegateType.GetMethod("Invoke")!.ReturnType,
            MethodInfo method => method.ReturnType,
            _ => typeof(void), // a constructor
        };
        return returnType != typeof(void) && returnType != typeof(Task) && returnType != typeof(ValueTask);
    }

    /// <summary>Where a member's comment is, as written: <see cref="Entry"/> is null when it has none.</summary>
    /// <param name="Entry">Its own XML entry, or for the implementation of a C# 14 extension member, that of the block's skeleton member it inherits from.</param>
    /// <param name="Elsewhere">True for any other <c>&lt;inheritdoc/&gt;</c> (the docs of what it inherits from, as the reader sees them) and for the getter of an extension property (documented on the property).</param>
    /// <param name="OnSkeleton">True when <see cref="Entry"/> is the skeleton member's, whose parameters are those after the receiver.</param>
    private readonly record struct Comment(XElement? Entry, bool Elsewhere, bool OnSkeleton);

    /// <summary>The comment of the member with ID <paramref name="id"/>.</summary>
    private static Comment CommentOf(Dictionary<string, XElement> docs, string id)
    {
        if (!docs.TryGetValue(id, out var entry))
        {
            return new(null, false, false);
        }

        if (entry.Element("inheritdoc") is { } inherit)
        {
            string? cref = (string?)inherit.Attribute("cref");
            if (cref is null || !cref.Contains(".<G>$", StringComparison.Ordinal) || !docs.TryGetValue(cref, out var skeleton)
                || cref.StartsWith("P:", StringComparison.Ordinal))
            {
                return new(entry, true, false);
            }

            return new(skeleton, false, true);
        }

        return new(entry, false, false);
    }

    /// <summary>The names of <paramref name="parameters"/> with no <c>&lt;param&gt;</c> in the entry of <paramref name="id"/>.</summary>
    private static List<string> UndocumentedParameters(Dictionary<string, XElement> docs, string id, MemberInfo member, ParameterInfo[] parameters)
    {
        var comment = CommentOf(docs, id);
        if (comment.Elsewhere)
        {
            return [];
        }

        if (comment.Entry is null)
        {
            return parameters.Select(p => p.Name!).ToList();
        }

        if (comment.OnSkeleton && member.IsDefined(typeof(ExtensionAttribute)))
        {
            parameters = parameters[1..]; // the receiver's own <param> is on the block (static extension members have none)
        }

        var documented = comment.Entry.Elements("param").Select(p => (string?)p.Attribute("name")).ToHashSet(StringComparer.Ordinal);
        return parameters.Select(p => p.Name!).Where(n => !documented.Contains(n)).ToList();
    }

    /// <summary>The member's documentation ID, as the C# compiler writes it in the XML file (ECMA-334 annex D).</summary>
    internal static string DocId(MemberInfo member)
    {
        if (member is Type type)
        {
            return "T:" + DefinitionId(type);
        }

        var method = (MethodBase)member;
        string name = method is ConstructorInfo ? (method.IsStatic ? "#cctor" : "#ctor") : method.Name;
        if (method.IsGenericMethodDefinition)
        {
            name += "``" + method.GetGenericArguments().Length;
        }

        var parameters = method.GetParameters();
        string id = $"M:{DefinitionId(method.DeclaringType!)}.{name}";
        if (parameters.Length > 0)
        {
            id += "(" + string.Join(",", parameters.Select(p => TypeId(p.ParameterType))) + ")";
        }

        if (method is MethodInfo m && method.Name is "op_Implicit" or "op_Explicit")
        {
            id += "~" + TypeId(m.ReturnType);
        }

        return id;
    }

    /// <summary>A declared type as in its own ID: <c>Ns.Outer`1.Inner</c>.</summary>
    private static string DefinitionId(Type type) =>
        type.DeclaringType is { } outer ? DefinitionId(outer) + "." + type.Name : (type.Namespace is { } ns ? ns + "." : "") + type.Name;

    /// <summary>A parameter's type in an ID: <c>System.Nullable{System.Int32}</c>, <c>System.Single[]</c>, <c>``0</c>, <c>System.Int32@</c>.</summary>
    private static string TypeId(Type type)
    {
        if (type.IsByRef)
        {
            return TypeId(type.GetElementType()!) + "@";
        }

        if (type.IsPointer)
        {
            return TypeId(type.GetElementType()!) + "*";
        }

        if (type.IsArray)
        {
            int rank = type.GetArrayRank();
            string dims = type.IsSZArray ? "[]" : "[" + string.Join(",", Enumerable.Repeat("0:", rank)) + "]";
            return TypeId(type.GetElementType()!) + dims;
        }

        if (type.IsGenericParameter)
        {
            return (type.DeclaringMethod is null ? "`" : "``") + type.GenericParameterPosition;
        }

        if (!type.IsGenericType)
        {
            return DefinitionId(type);
        }

        // A constructed generic type: each type of the nesting chain takes its own arguments, in order.
        var arguments = new Queue<Type>(type.GetGenericArguments());
        var chain = new List<Type>();
        for (var t = type.GetGenericTypeDefinition(); t is not null; t = t.DeclaringType)
        {
            chain.Insert(0, t);
        }

        var parts = new List<string>();
        foreach (var t in chain)
        {
            string name = t.Name;
            int tick = name.IndexOf('`', StringComparison.Ordinal);
            if (tick >= 0)
            {
                int arity = int.Parse(name[(tick + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                name = name[..tick] + "{" + string.Join(",", Enumerable.Range(0, arity).Select(_ => TypeId(arguments.Dequeue()))) + "}";
            }

            parts.Add(name);
        }

        string ns = chain[0].Namespace is { } n ? n + "." : "";
        return ns + string.Join(".", parts);
    }

    /// <summary>As a reader writes the member: <c>Conv2d.Conv2d(int inChannels, …)</c>, <c>TensorOps.Add(Tensor self, Tensor other)</c>.</summary>
    private static string Readable(MemberInfo member)
    {
        if (member is Type delegateType)
        {
            return $"delegate {ReadableType(delegateType)}({string.Join(", ", delegateType.GetMethod("Invoke")!.GetParameters().Select(p => $"{ReadableType(p.ParameterType)} {p.Name}"))})";
        }

        var method = (MethodBase)member;
        string owner = ReadableType(method.DeclaringType!);
        string name = method is ConstructorInfo ? owner[(owner.LastIndexOf('.') + 1)..] : method.Name;
        if (method.IsGenericMethodDefinition)
        {
            name += "<" + string.Join(", ", method.GetGenericArguments().Select(a => a.Name)) + ">";
        }

        return $"{owner}.{name}({string.Join(", ", method.GetParameters().Select(p => $"{ReadableType(p.ParameterType)} {p.Name}"))})";
    }

    private static string ReadableType(Type type)
    {
        if (type.IsByRef)
        {
            return "ref " + ReadableType(type.GetElementType()!);
        }

        if (type.IsArray)
        {
            return ReadableType(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return ReadableType(underlying) + "?";
        }

        string name = type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0)
        {
            name = name[..tick];
        }

        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            name += "<" + string.Join(", ", type.GetGenericArguments().Select(ReadableType)) + ">";
        }

        return type.DeclaringType is { } outer && !type.IsGenericParameter ? ReadableType(outer) + "." + name : name;
    }
}
