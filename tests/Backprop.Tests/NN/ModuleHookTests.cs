using Backprop.NN;

namespace Backprop.Tests.NN;

public class ModuleHookTests
{
    /// <summary>A module of one's own whose children are called through Call, as the built-in containers do.</summary>
    private sealed class TwoLayers : Module
    {
        public Linear First { get; } = new(3, 4, generator: new Generator(1));

        public Sequential Rest { get; } = new(new ReLU(), new Linear(4, 2, generator: new Generator(2)));

        public override Tensor Forward(Tensor input) => Rest.Call(First.Call(input));
    }

    [Fact]
    public void ForwardHooksFireForNestedModulesInOrderUntilRemoved()
    {
        var model = new TwoLayers();
        var log = new List<string>();
        var handles = new List<RemovableHandle>();
        foreach (var (name, module) in model.NamedModules())
        {
            string key = name.Length == 0 ? "model" : name;
            handles.Add(module.RegisterForwardPreHook((m, x) => log.Add($"pre {key} {Shapes.Format(x.Shape)}")));
            handles.Add(module.RegisterForwardHook((m, x, y) => log.Add($"post {key} {Shapes.Format(y.Shape)}")));
        }

        model.Call(Tensor.Zeros(5, 3));
        Assert.Equal(
            [
                "pre model (5x3)", "pre first (5x3)", "post first (5x4)", "pre rest (5x4)", "pre rest.0 (5x4)", "post rest.0 (5x4)",
                "pre rest.1 (5x4)", "post rest.1 (5x2)", "post rest (5x2)", "post model (5x2)",
            ],
            log);

        // Forward itself runs no hook of the module, as module.forward(x) in PyTorch; its children's still run.
        log.Clear();
        model.First.Forward(Tensor.Zeros(1, 3));
        Assert.Empty(log);

        handles.ForEach(h => h.Dispose());
        Assert.All(handles, h => Assert.False(h.IsRegistered));
        handles[0].Remove();
        model.Call(Tensor.Zeros(5, 3));
        Assert.Empty(log);
    }

    [Fact]
    public void RemovingOneHookKeepsTheOthersAndAHookMayRemoveItself()
    {
        var relu = new ReLU();
        int a = 0, b = 0;
        RemovableHandle? self = null;
        self = relu.RegisterForwardHook((m, x, y) =>
        {
            a++;
            self!.Remove();
        });
        using var other = relu.RegisterForwardHook((m, x, y) => b++);
        relu.Call(Tensor.Zeros(2));
        relu.Call(Tensor.Zeros(2));
        Assert.Equal((1, 2), (a, b));
    }

    [Fact]
    public void PreHooksReplaceTheInputAndForwardHooksTheOutput()
    {
        var seq = new Sequential(new Identity(), new ReLU());
        using var pre = seq[0].RegisterForwardPreHook((m, x) => x * 2.0);
        using var post = seq[1].RegisterForwardHook((m, x, y) => y + 1.0);
        using var observer = seq[1].RegisterForwardHook((m, x, y) => Assert.Equal([5f, 1f], y.ToArray<float>()));
        var output = seq.Call(Tensor.FromArray(new[] { 2f, -3f }));
        Assert.Equal([5f, 1f], output.ToArray<float>());
    }

    [Fact]
    public void FullBackwardHookSeesTheGradientsOfOutputAndInputAndMayReplaceTheInputs()
    {
        // y = x·Wᵀ + b, L = Σ c ⊙ y: dL/dy = c and dL/dx = c·W.
        var linear = new Linear(2, 2, generator: new Generator(3));
        var w = linear.Weight.ToArray<float>();
        var c = Tensor.FromArray(new[] { 1f, -2f, 3f, 0.5f }, 2, 2);
        Tensor? gradInput = null, gradOutput = null;
        Module? seen = null;
        var handle = linear.RegisterFullBackwardHook((m, gi, go) =>
        {
            (seen, gradInput, gradOutput) = (m, gi, go);
        });
        var x = Tensor.FromArray(new[] { 0.5f, 1f, -1f, 2f }, 2, 2).RequiresGrad_();
        (linear.Call(x) * c).Sum().Backward();
        Assert.Same(linear, seen);
        Assert.Equal(c.ToArray<float>(), gradOutput!.ToArray<float>());
        float[] expected = [(1 * w[0]) + (-2 * w[2]), (1 * w[1]) + (-2 * w[3]), (3 * w[0]) + (0.5f * w[2]), (3 * w[1]) + (0.5f * w[3])];
        Assert.Equal(expected, gradInput!.ToArray<float>(), new FloatTolerance(1e-6f));
        Assert.Equal(expected, x.Grad!.ToArray<float>(), new FloatTolerance(1e-6f));
        handle.Remove();

        // A hook's result replaces dL/dx in the rest of the pass.
        using var zero = linear.RegisterFullBackwardHook((m, gi, go) => Tensor.ZerosLike(gi!));
        x.Grad = null;
        (linear.Call(x) * c).Sum().Backward();
        Assert.Equal([0f, 0f, 0f, 0f], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void FullBackwardHookOnAnInputWithoutGradGetsNullAndNestedHooksFireInnerFirst()
    {
        var model = new TwoLayers();
        var log = new List<string>();
        using var outer = model.RegisterFullBackwardHook((m, gi, go) => log.Add($"model {gi is null} {Shapes.Format(go.Shape)}"));
        using var inner = model.Rest[1].RegisterFullBackwardHook((m, gi, go) => log.Add($"rest.1 {gi is null} {Shapes.Format(gi!.Shape)}"));
        using var first = model.First.RegisterFullBackwardHook((m, gi, go) => log.Add($"first {gi is null} {Shapes.Format(go.Shape)}"));
        model.Call(Tensor.Ones(3, 3)).Sum().Backward();
        Assert.Equal(["model True (3x2)", "rest.1 False (3x4)", "first True (3x4)"], log);

        // No graph, no backward hook: under NoGrad the output is not marked.
        log.Clear();
        using (Backprop.Autograd.NoGrad())
        {
            Assert.Null(model.Call(Tensor.Ones(1, 3)).GradFn);
        }

        Assert.Empty(log);
    }

    [Fact]
    public void NullHooksAndInputsAreRefused()
    {
        var relu = new ReLU();
        Assert.Throws<ArgumentNullException>(() => relu.RegisterForwardHook((Action<Module, Tensor, Tensor>)null!));
        Assert.Throws<ArgumentNullException>(() => relu.Call(null!));
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
