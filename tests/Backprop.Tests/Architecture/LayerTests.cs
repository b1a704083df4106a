using System.Reflection;

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
            "Backprop.AnomalyMode.t_enabled",        // anomaly mode is per thread, as torch.autograd.detect_anomaly()
            "Backprop.AnomalyMode.t_sitesOnly",      // creation sites while the exporter traces this thread's Forward
            "Backprop.AnomalyMode.t_inBackward",     // which pass the current thread's checks belong to
            "Backprop.Kernels.WorkerPool.t_inJob",   // a kernel started inside a job runs serially on that thread
            "Backprop.Kernels.Sgemm.t_packA",        // per-thread packing scratch, reused across products
            "Backprop.Kernels.Sgemm.t_packB",
            "Backprop.Kernels.Sgemm.t_tile",
        ];
        var found = s_library.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
            .Where(f => f.IsDefined(typeof(ThreadStaticAttribute)))
            .Select(f => $"{f.DeclaringType!.FullName}.{f.Name}")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(allowed.Order(StringComparer.Ordinal), found);
    }

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
