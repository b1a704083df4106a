using Backprop.Diagnostics;
using Backprop.NN;

namespace Backprop.Tests.Diagnostics;

public class ModelSummaryTests
{
    /// <summary>A model of one's own: a child called through Call, a frozen parameter of its own, a batch norm with buffers.</summary>
    private sealed class Custom : Module
    {
        public Custom()
        {
            Scale.RequiresGrad_(false);
        }

        public Linear Fc { get; } = new(4, 3, generator: new Generator(1));

        public BatchNorm1d Norm { get; } = new(3);

        public Tensor Scale { get; } = Tensor.Ones(3);

        public override Tensor Forward(Tensor input) => Norm.Call(Fc.Call(input)) * Scale;
    }

    [Fact]
    public void AnMlpHasEachLayersShapeAndCountAndTheTotals()
    {
        var mlp = ModelSpec.Parse("784-256-10:relu").Build(new Generator(0));
        var summary = ModelSummary.Of(mlp, 1, 784);
        Assert.Equal([1, 10], summary.OutputShape);
        Assert.Equal((784 * 256) + 256 + (256 * 10) + 10, summary.TotalParameters);
        Assert.Equal(summary.TotalParameters, summary.TrainableParameters);
        Assert.Equal(mlp.NumParameters(), summary.TotalParameters);
        var linears = summary.Layers.Where(l => l.TypeName == "Linear").ToList();
        Assert.Equal([[1, 256], [1, 10]], linears.Select(l => l.OutputShape!));
        Assert.Equal([(784 * 256) + 256L, (256 * 10) + 10L], linears.Select(l => l.Parameters));
        Assert.All(summary.Layers.Skip(1), l => Assert.Equal(1, l.Depth));
        Assert.Equal(784 * 4, summary.InputBytes);
        Assert.Equal(summary.TotalParameters * 4, summary.ParameterBytes);

        // Leaves' outputs: Linear 256, ReLU 256, Linear 10 floats (and any dropout).
        Assert.Equal(summary.Layers.Where(l => l.IsLeaf).Sum(l => l.OutputShape!.Aggregate(1, (a, b) => a * b) * 4L), summary.ForwardActivationBytes);
        string text = summary.ToString();
        Assert.Contains("Total params: 203,530", text, StringComparison.Ordinal);
        Assert.Contains("[1, 256]", text, StringComparison.Ordinal);
        Assert.Contains("200,960", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ACnnAndAnLstmAreSummarized()
    {
        var cnn = ModelSpec.Parse("cnn", 784, 10).Build(new Generator(0));
        var summary = ModelSummary.Of(cnn, 2, 784);
        Assert.Equal([2, 10], summary.OutputShape);
        Assert.Equal(cnn.NumParameters(), summary.TotalParameters);
        Assert.Contains(summary.Layers, l => l.TypeName == "Conv2d" && l.OutputShape is { Length: 4 } s && s[0] == 2);
        Assert.All(summary.Layers, l => Assert.NotNull(l.OutputShape));

        var lstm = new Sequential(new LSTM(8, 5, batchFirst: true, generator: new Generator(1)));
        var s2 = ModelSummary.Of(lstm, 3, 4, 8);
        Assert.Equal([3, 4, 5], s2.OutputShape);
        Assert.Equal((4 * 5 * (8 + 5)) + (8 * 5), s2.Layers[1].Parameters);
    }

    [Fact]
    public void AModelOfOnesOwnShowsFrozenParametersAndBuffersAndKeepsItsState()
    {
        var model = new Custom();
        var before = model.Norm.RunningMean!.ToArray<float>();
        var summary = ModelSummary.Of(model, 2, 4);
        Assert.Equal([2, 3], summary.OutputShape);
        Assert.Equal((4 * 3) + 3 + 3 + 3 + 3, summary.TotalParameters);
        Assert.Equal(3, summary.NonTrainableParameters);
        Assert.Equal(3 + 3 + 1, summary.BufferElements);
        Assert.Equal(3, summary.Layers[0].Parameters);
        Assert.Equal(0, summary.Layers[0].TrainableParameters);
        Assert.Contains("(frozen)", summary.ToString(), StringComparison.Ordinal);
        Assert.Equal(before, model.Norm.RunningMean!.ToArray<float>());
        Assert.True(model.IsTraining && model.Norm.IsTraining);
        Assert.Null(model.Fc.Weight.Grad);

        // The hooks it used are gone: a later Call runs none.
        model.Eval();
        Assert.True(ModelSummary.Of(model, 1, 4).Layers.All(l => l.Calls == 1));
        Assert.False(model.IsTraining);
    }

    [Fact]
    public void AChildRunByForwardIsCountedButHasNoShapeAndABadShapeIsNamed()
    {
        var seq = new Sequential(new Linear(4, 2));
        var direct = new Direct(seq);
        var summary = ModelSummary.Of(direct, 1, 4);
        Assert.Null(summary.Layers.Single(l => l.TypeName == "Linear").OutputShape);
        Assert.Contains("--", summary.ToString(), StringComparison.Ordinal);
        Assert.Equal(10, summary.TotalParameters);

        var error = Assert.Throws<ArgumentException>(() => ModelSummary.Of(seq, 1, 5));
        Assert.Contains("input of shape (1, 5)", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ModelSummary.Of(seq));
        Assert.Throws<ArgumentException>(() => ModelSummary.Of(seq, 1, 0));
    }

    private sealed class Direct(Sequential inner) : Module
    {
        public Sequential Inner { get; } = inner;

        public override Tensor Forward(Tensor input) => Inner[0].Forward(input);
    }
}
