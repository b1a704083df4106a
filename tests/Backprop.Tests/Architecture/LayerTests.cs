using System.Reflection;
using System.Runtime.CompilerServices;

namespace Backprop.Tests.Architecture;

/// <summary>
/// The directions of docs/design.md §2 that the compiler does not see inside one assembly: each
/// test fails, naming the type and the member, when a layer uses one it must not know.
/// </summary>
public class LayerTests
{
    private static readonly Assembly s_library = typeof(Tensor).Assembly;

    /// <summary>
    /// Kernels work on spans and arrays: no Tensor, no graph, no module, nothing of the library outside
    /// the kernel layer. <see cref="Threading"/> belongs to it (the worker pool's settings), though it is
    /// in the root namespace so that users write <c>Threading.NumThreads</c> as PyTorch's <c>torch.set_num_threads</c>.
    /// </summary>
    [Fact]
    public void KernelsUseNothingOfTheLibraryButKernels() =>
        AssertUsesOnly(IsKernelLayer, IsKernelLayer);

    private static bool IsKernelLayer(Type t) => t.Namespace == "Backprop.Kernels" || t == typeof(Threading) || t.DeclaringType is { } d && IsKernelLayer(d);

    /// <summary>
    /// The library references no assembly but the shared framework's and System.Numerics.Tensors: it
    /// knows no CLI, no ONNX, no protobuf, no web server.
    /// </summary>
    [Fact]
    public void TheLibraryReferencesOnlyTheFramework()
    {
        string framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var others = s_library.GetReferencedAssemblies()
            .Where(a => a.Name != "System.Numerics.Tensors" && Path.GetDirectoryName(Assembly.Load(a).Location) != framework)
            .Select(a => a.Name)
            .ToList();
        Assert.Empty(others);
    }

    /// <summary>
    /// Per-thread state is hidden state: each [ThreadStatic] field is here with the reason it is per
    /// thread, and a new one fails this test until it is justified (or made explicit instead). The
    /// optimizer's update queue (now an UpdatePlan that Step builds) and the backward pass's reusable
    /// gradient (now a BackwardContext passed to the backward functions) were two.
    /// </summary>
    [Fact]
    public void ThreadStaticStateIsOnlyWhereItIsPerThreadByDesign()
    {
        string[] allowed =
        [
            "Backprop.Autograd.t_gradDisabled",      // grad mode is per thread, as torch.no_grad()
            "Backprop.ForwardAD.t_level",            // the dual level is per thread, as fwAD.dual_level()
            "Backprop.ForwardAD.t_inRule",           // an op's forward derivative is being computed on this thread
            "Backprop.AnomalyMode.t_enabled",        // anomaly mode is per thread, as torch.autograd.detect_anomaly()
            "Backprop.AnomalyMode.t_sitesOnly",      // creation sites while the exporter traces this thread's Forward
            "Backprop.AnomalyMode.t_inBackward",     // which pass the current thread's checks belong to
            "Backprop.Kernels.WorkerPool.t_inJob",   // a kernel started inside a job runs serially on that thread
            "Backprop.Kernels.Sgemm.t_packA",        // per-thread packing scratch, reused across products
            "Backprop.Kernels.Sgemm.t_packB",
            "Backprop.Kernels.Sgemm.t_tile",
            "Backprop.Kernels.RecurrentLayer`1.t_packedForward",  // the calling thread's buffer for a call's packed W_hhᵀ, reused by its next call
            "Backprop.Kernels.RecurrentLayer`1.t_packedInput",    // the calling thread's buffer for an inference call's packed W_ihᵀ, reused by its next call
            "Backprop.Kernels.RecurrentLayer`1.t_packedBackward", // the same for the backward pass's packed W_hh
        ];
        var found = s_library.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
            .Where(f => f.IsDefined(typeof(ThreadStaticAttribute)))
            .Select(f => $"{f.DeclaringType!.FullName}.{f.Name}")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(allowed.Order(StringComparer.Ordinal), found);
    }

    /// <summary>
    /// Tensor is the core (storage, shape, dtype, element access, creation, the gradient and the
    /// graph's recording step); the ops are op families, static classes whose extension blocks extend
    /// Tensor, one per file under Ops/. The core calls no op family: a method declared on Tensor, or a
    /// lambda inside one, that calls into one fails here, unless it is on this list with the reason.
    /// </summary>
    [Fact]
    public void TheTensorCoreCallsNoOpFamily()
    {
        var allowed = new Dictionary<string, string>
        {
            // C# 14 has no extension indexers, so x[...] is declared on Tensor; it is made of Select and Slice.
            ["get_GetItem"] = "IndexingOps",

            // Leaf gradients accumulate with the add and clone ops (as torch's AccumulateGrad), which
            // anomaly mode checks like any other op.
            ["Backward"] = "ArithmeticOps ShapeOps",
        };
        var families = s_library.GetTypes().Where(ExtendsTensor).ToList();
        Assert.Contains(typeof(ArithmeticOps), families);
        Assert.All(families, f => Assert.EndsWith("Ops", f.Name, StringComparison.Ordinal));

        var calls = TypeAndNested(typeof(Tensor))
            .SelectMany(DependencyScanner.UsedTypes)
            .Where(u => families.Contains(u.Used))
            .Select(u => (Method: Owner(u.Where), Family: u.Used.Name))
            .Distinct()
            .ToList();
        var violations = calls
            .Where(u => !(allowed.TryGetValue(u.Method, out var families) && families.Split(' ').Contains(u.Family)))
            .Select(u => $"Tensor.{u.Method} calls {u.Family}")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(violations.Count == 0, $"the Tensor core must not call op families:\n{string.Join('\n', violations)}");

        // An exception no longer needed is taken off the list.
        var stale = allowed
            .SelectMany(a => a.Value.Split(' ').Select(f => (Method: a.Key, Family: f)))
            .Where(a => !calls.Contains(a))
            .Select(a => $"Tensor.{a.Method} no longer calls {a.Family}")
            .ToList();
        Assert.True(stale.Count == 0, $"remove these exceptions:\n{string.Join('\n', stale)}");

        static IEnumerable<Type> TypeAndNested(Type t) =>
            t.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic).SelectMany(TypeAndNested).Prepend(t);

        // "Backprop.Tensor+<>c__DisplayClass12_0.<Backward>b__0" is a lambda inside Backward.
        static string Owner(string where)
        {
            string method = where[(where.LastIndexOf('.') + 1)..];
            return method.StartsWith('<') ? method[1..method.IndexOf('>')] : method;
        }
    }

    /// <summary>
    /// An op family: a static class with extension blocks for Tensor, which the compiler emits as
    /// nested types marked [Extension] holding a marker method <c>&lt;Extension&gt;$(Tensor)</c>.
    /// </summary>
    private static bool ExtendsTensor(Type type) => type is { IsAbstract: true, IsSealed: true } && type
        .GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic)
        .Where(block => block.IsDefined(typeof(ExtensionAttribute)))
        .SelectMany(block => block.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic))
        .SelectMany(marker => marker.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
        .Any(m => m.GetParameters() is [{ ParameterType: var receiver }] && receiver == typeof(Tensor));

    private static void AssertUsesOnly(Func<Type, bool> layer, Func<Type, bool> allowed)
    {
        var violations = s_library.GetTypes()
            .Where(layer)
            .SelectMany(DependencyScanner.UsedTypes)
            .SelectMany(u => DependencyScanner.Parts(u.Used).Select(p => (Used: p, u.Where)))
            .Where(u => u.Used.Assembly == s_library && !u.Used.Name.StartsWith('<') && !allowed(u.Used))
            .Select(u => $"{u.Where} uses {u.Used.FullName}")
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(violations.Count == 0, $"the layer must not use these:\n{string.Join('\n', violations)}");
    }
}
