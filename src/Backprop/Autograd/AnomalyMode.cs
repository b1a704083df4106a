using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics.Tensors;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Backprop;

public static partial class Autograd
{
    /// <summary>
    /// Turns on anomaly detection until the returned scope is disposed
    /// (<c>with torch.autograd.detect_anomaly():</c>): every op's forward output and every gradient its
    /// backward returns is checked, and the first one holding NaN or ±Inf throws an
    /// <see cref="AnomalyException"/> naming the op and where in the caller's code it was created.
    /// It costs a stack trace per op, so it is for finding a bug, not for normal runs. Like grad mode,
    /// it applies to the current thread.
    /// </summary>
    /// <returns>A scope whose <see cref="IDisposable.Dispose"/> restores the previous setting.</returns>
    public static IDisposable DetectAnomaly() => new AnomalyMode.Scope();

    /// <summary>True inside <see cref="DetectAnomaly"/> on this thread (<c>torch.is_anomaly_enabled()</c>).</summary>
    public static bool IsAnomalyEnabled => AnomalyMode.IsEnabled;
}

/// <summary>Thrown in anomaly mode by the first op whose forward or backward produces NaN or ±Inf.</summary>
public sealed class AnomalyException : InvalidOperationException
{
    internal AnomalyException(string op, string phase, string creationSite, string message)
        : base(message)
    {
        Op = op;
        Phase = phase;
        CreationSite = creationSite;
    }

    /// <summary>The op's name, as in <see cref="Node.Name"/> (e.g. <c>log</c>, <c>div</c>).</summary>
    public string Op { get; }

    /// <summary><c>forward</c> or <c>backward</c>.</summary>
    public string Phase { get; }

    /// <summary>Where the op was created: the first frame outside the Backprop library, as <c>File.cs:line in Type.Method</c>.</summary>
    public string CreationSite { get; }
}

/// <summary>
/// The logic of anomaly mode, kept out of the hot files: <see cref="Tensor"/>.Record, the
/// <see cref="Node"/> constructor and the backward loop each call in here behind one check of
/// <see cref="IsEnabled"/>, so the mode costs nothing while it is off.
/// </summary>
internal static class AnomalyMode
{
    /// <summary>Open scopes on all threads: while it is 0, the hooks cost one read of a static field.</summary>
    private static int s_openScopes;

    /// <summary>Thread-local like grad mode, so one thread's (or test's) anomaly scope leaves others alone.</summary>
    [ThreadStatic]
    private static bool t_enabled;

    /// <summary>
    /// True while a backward function runs: the ops it is written with are checked as a whole, as
    /// that node's backward, not one by one as forwards of their own.
    /// </summary>
    [ThreadStatic]
    private static bool t_inBackward;

    private static readonly Assembly s_library = typeof(Tensor).Assembly;

    /// <summary>Each node's creation stack, kept while the node lives; only nodes made in anomaly mode are here.</summary>
    private static readonly ConditionalWeakTable<Node, StackTrace> s_creationStacks = [];

    /// <summary>Set inside <see cref="RecordCreationSites"/>: nodes remember where they were made, values are not checked.</summary>
    [ThreadStatic]
    private static bool t_sitesOnly;

    public static bool IsEnabled => s_openScopes != 0 && t_enabled;

    /// <summary>True when new nodes must remember their creation stack: in anomaly mode, or while an exporter traces.</summary>
    public static bool IsRecordingSites => s_openScopes != 0 && (t_enabled || t_sitesOnly);

    /// <summary>
    /// Until disposed, every node made on this thread remembers where it was created (as in anomaly
    /// mode, without checking values), so ONNX export can name where an op it cannot lower came from.
    /// </summary>
    public static IDisposable RecordCreationSites() => new Scope(sitesOnly: true);

    /// <summary>Where <paramref name="node"/> was created (see <see cref="Describe"/>), or null if it was made outside such a scope.</summary>
    public static string? CreationSite(Node node) => s_creationStacks.TryGetValue(node, out var stack) ? Describe(stack) : null;

    /// <summary>Hook in the Node constructor: remembers where the op was created, for a backward report.</summary>
    public static void OnNodeCreated(Node node) => s_creationStacks.AddOrUpdate(node, new StackTrace(1, fNeedFileInfo: true));

    /// <summary>Hook in Tensor.Record: the op's output must be finite (unless an input already was not).</summary>
    public static void CheckForward(OpDefinition definition, Tensor output, Tensor[] inputs)
    {
        if (t_inBackward || FirstNonFinite(output) is not { } bad)
        {
            return;
        }

        string op = definition.Name;
        string site = Describe(new StackTrace(1, fNeedFileInfo: true));
        for (int i = 0; i < inputs.Length; i++)
        {
            if (FirstNonFinite(inputs[i]) is { } inBad)
            {
                // Not this op's doing: an input came in non-finite without passing a checked op
                // (data, a leaf, or a value computed before anomaly mode was turned on).
                throw new AnomalyException(op, "forward", site,
                    $"anomaly: forward of '{op}' received {inBad.Value} in input {i} ({inBad.Count} of {inputs[i].Numel} elements not finite, first at flat index {inBad.Index}); " +
                    $"that input was not produced by a checked op (data, a parameter, or computed outside anomaly mode); op created at {site}");
            }
        }

        throw new AnomalyException(op, "forward", site,
            $"anomaly: forward of '{op}' produced {bad.Value} ({bad.Count} of {output.Numel} elements not finite, first at flat index {bad.Index}) from finite inputs; op created at {site}");
    }

    /// <summary>
    /// Hook in the backward loop: applies the node's backward to the gradients of its outputs (one for
    /// most ops), and every gradient it returns must be finite.
    /// </summary>
    public static Tensor?[] ApplyChecked(Node node, Tensor?[] gradOutputs)
    {
        bool outer = t_inBackward;
        t_inBackward = true;
        Tensor?[] grads;
        try
        {
            grads = node.OutputCount == 1 ? node.Apply(gradOutputs[0]!, BackwardContext.NoReuse) : node.Apply(gradOutputs);
        }
        finally
        {
            t_inBackward = outer;
        }

        CheckBackward(node, gradOutputs, grads);
        return grads;
    }

    private static void CheckBackward(Node node, Tensor?[] gradOutputs, Tensor?[] inputGradients)
    {
        for (int i = 0; i < inputGradients.Length; i++)
        {
            if (inputGradients[i] is not { } g || FirstNonFinite(g) is not { } bad)
            {
                continue;
            }

            string site = s_creationStacks.TryGetValue(node, out var stack) ? Describe(stack) : "(unknown: the op was created before anomaly mode was turned on)";
            var upstream = gradOutputs.OfType<Tensor>().Select(FirstNonFinite).FirstOrDefault(n => n is not null);
            string cause = upstream is { } up
                ? $"the upstream gradient it received already held {up.Value} (the seed passed to Backward, or a sum of gradients that overflowed)"
                : "from a finite upstream gradient";
            throw new AnomalyException(node.Name, "backward", site,
                $"anomaly: backward of '{node.Name}' produced {bad.Value} in the gradient of input {i} ({bad.Count} of {g.Numel} elements not finite, first at flat index {bad.Index}), {cause}; op created at {site}");
        }
    }

    /// <summary>
    /// "File.cs:line in Type.Method" for the first frame outside this library that is not .NET's own
    /// (the user's call that created the op), plus the library methods it went through.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only describes frames for a message: in a trimmed app a frame without metadata is described as '?', which shortens the description without making it wrong.")]
    internal static string Describe(StackTrace stack)
    {
        var libraryPath = new List<string>();
        StackFrame? outside = null;
        foreach (var frame in stack.GetFrames())
        {
            var method = frame.GetMethod();
            var assembly = method?.DeclaringType?.Assembly;
            if (assembly?.GetName().Name == "Backprop.Onnx")
            {
                // The exporter's own frames (it runs Forward to trace it) say nothing about the model.
                continue;
            }

            if (assembly == s_library)
            {
                string name = $"{CalledOn(method!.DeclaringType!)}.{method.Name}";
                if (!IsRecordingPlumbing(method) && (libraryPath.Count == 0 || libraryPath[^1] != name))
                {
                    libraryPath.Add(name);
                }

                continue;
            }

            string? assemblyName = assembly?.GetName().Name;
            bool framework = assemblyName is null || assemblyName.StartsWith("System.", StringComparison.Ordinal) || assemblyName is "System" or "mscorlib" or "netstandard";
            if (!framework)
            {
                outside = frame;
                break;
            }

            outside ??= frame;
        }

        string via = libraryPath.Count == 0 ? "" : $" (via {string.Join(" <- ", libraryPath.Take(4))})";
        if (outside is null)
        {
            return "(inside the Backprop library only)" + via;
        }

        var m = outside.GetMethod();
        string where = $"{m?.DeclaringType?.FullName ?? "?"}.{m?.Name ?? "?"}";
        string? file = outside.GetFileName();
        return file is null
            ? $"{where}{via}"
            : string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(file)}:{outside.GetFileLineNumber()} in {where}{via}");
    }

    /// <summary>
    /// The type a library method is called on, as the user wrote the call: an op family's extension
    /// members are Tensor's (<c>x.Log()</c>, <c>Tensor.Linear(...)</c>), though compiled into
    /// <see cref="UnaryOps"/>, <see cref="LinearOps"/> and the others.
    /// </summary>
    private static string CalledOn(Type type) => IsOpFamily(type) ? nameof(Tensor) : type.Name;

    /// <summary>
    /// True for an op family: a static class of this library named <c>…Ops</c> (each holds the extension
    /// blocks for <see cref="Tensor"/> of one file under Ops/; the architecture tests keep the names so).
    /// </summary>
    private static bool IsOpFamily(Type type) =>
        type is { IsAbstract: true, IsSealed: true, Namespace: "Backprop" } && type.Assembly == s_library && type.Name.EndsWith("Ops", StringComparison.Ordinal);

    /// <summary>Frames of the recording machinery itself, which say nothing about which op it was.</summary>
    private static bool IsRecordingPlumbing(MethodBase method) =>
        method.DeclaringType == typeof(AnomalyMode) || method.DeclaringType == typeof(Node) || (method.DeclaringType == typeof(Tensor) && method.Name == "Record")
        || IsModuleCall(method);

    /// <summary>
    /// Module.Call, which runs a module's hooks around its Forward: plumbing between a module's Forward
    /// and its parent's, so the path names the Forward methods. Matched by name, as the graph layer
    /// knows nothing of the modules above it.
    /// </summary>
    private static bool IsModuleCall(MethodBase method) => method.Name == "Call" && method.DeclaringType?.FullName == "Backprop.NN.Module";

    private readonly record struct NonFinite(string Value, int Count, int Index);

    /// <summary>The first NaN or ±Inf element of a floating-point tensor (and how many there are), or null if all are finite.</summary>
    private static NonFinite? FirstNonFinite(Tensor t) => t._data switch
    {
        float[] f when !TensorPrimitives.IsFiniteAll<float>(f) => Find(f),
        double[] d when !TensorPrimitives.IsFiniteAll<double>(d) => Find(d),
        _ => null,
    };

    private static NonFinite Find<T>(T[] data)
        where T : System.Numerics.IFloatingPointIeee754<T>
    {
        int first = -1, count = 0;
        bool nan = false;
        for (int i = 0; i < data.Length; i++)
        {
            if (!T.IsFinite(data[i]))
            {
                count++;
                if (first < 0)
                {
                    first = i;
                }

                nan |= T.IsNaN(data[i]);
            }
        }

        string value = nan ? "NaN" : T.IsPositiveInfinity(data[first]) ? "+Inf" : "-Inf";
        return new NonFinite(value, count, first);
    }

    internal sealed class Scope : IDisposable
    {
        private readonly bool _previous;
        private readonly bool _sitesOnly;
        private bool _disposed;

        public Scope(bool sitesOnly = false)
        {
            _sitesOnly = sitesOnly;
            _previous = sitesOnly ? t_sitesOnly : t_enabled;
            if (sitesOnly)
            {
                t_sitesOnly = true;
            }
            else
            {
                t_enabled = true;
            }

            Interlocked.Increment(ref s_openScopes);
        }

        public void Dispose()
        {
            if (!_disposed)
            {
                if (_sitesOnly)
                {
                    t_sitesOnly = _previous;
                }
                else
                {
                    t_enabled = _previous;
                }

                _disposed = true;
                Interlocked.Decrement(ref s_openScopes);
            }
        }
    }
}
