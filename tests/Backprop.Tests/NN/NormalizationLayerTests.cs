using Backprop.NN;

namespace Backprop.Tests.NN;

public class NormalizationLayerTests
{
    [Fact]
    public void BatchNormStateDictKeysAreTorchs()
    {
        var bn = new BatchNorm2d(3);
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], bn.StateDict().Keys);
        Assert.Equal(["weight", "bias"], bn.NamedParameters().Select(p => p.Name));
        Assert.Equal(DType.Int64, bn.NumBatchesTracked!.DType);
        Assert.Empty(bn.NumBatchesTracked.Shape);
        Assert.Equal(["running_mean", "running_var", "num_batches_tracked"], new BatchNorm1d(3, affine: false).StateDict().Keys);
        Assert.Equal(["weight", "bias"], new BatchNorm1d(3, trackRunningStats: false).StateDict().Keys);
        Assert.Equal("BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)", bn.ToString());
    }

    [Fact]
    public void TrainingStepsUpdateRunningStatisticsAsHandComputed()
    {
        var bn = new BatchNorm1d(2, momentum: 0.1, dtype: DType.Float64);
        var x = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 6 }, { 5, 10 } });

        bn.Forward(x);

        // Batch means (3, 6), unbiased variances (4, 16).
        NNAssert.Close([0.3, 0.6], bn.RunningMean!.ToArray(), 1e-15);
        NNAssert.Close([1.3, 2.5], bn.RunningVar!.ToArray(), 1e-15);
        Assert.Equal([1L], bn.NumBatchesTracked!.ToArray<long>());

        bn.Forward(x);
        NNAssert.Close([0.57, 1.14], bn.RunningMean.ToArray(), 1e-15);
        NNAssert.Close([(0.9 * 1.3) + 0.4, (0.9 * 2.5) + 1.6], bn.RunningVar.ToArray(), 1e-15);
        Assert.Equal([2L], bn.NumBatchesTracked.ToArray<long>());
    }

    [Fact]
    public void EvalUsesRunningStatisticsAndDoesNotUpdateThem()
    {
        var bn = new BatchNorm2d(2, dtype: DType.Float64);
        bn.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.FromArray(new double[] { 2, 1 }),
            ["bias"] = Tensor.FromArray(new double[] { 0, 1 }),
            ["running_mean"] = Tensor.FromArray(new double[] { 1, -1 }),
            ["running_var"] = Tensor.FromArray(new double[] { 3, 8 }),
            ["num_batches_tracked"] = Tensor.Full([], 7, DType.Int64),
        });
        bn.Eval();
        var x = Tensor.Full([1, 2, 1, 2], 5, DType.Float64);

        var y = bn.Forward(x).ToArray();

        double s0 = 1 / Math.Sqrt(3 + 1e-5), s1 = 1 / Math.Sqrt(8 + 1e-5);
        NNAssert.Close([4 * s0 * 2, 4 * s0 * 2, (6 * s1) + 1, (6 * s1) + 1], y, 1e-12);
        Assert.Equal([1.0, -1], bn.RunningMean!.ToArray());
        Assert.Equal([7L], bn.NumBatchesTracked!.ToArray<long>());
    }

    [Fact]
    public void MomentumNoneIsACumulativeAverage()
    {
        var bn = new BatchNorm1d(1, momentum: null, dtype: DType.Float64);
        bn.Forward(Tensor.FromArray(new double[] { 1, 3 }, 2, 1));
        bn.Forward(Tensor.FromArray(new double[] { 5, 7 }, 2, 1));
        bn.Forward(Tensor.FromArray(new double[] { 0, 0 }, 2, 1));
        Assert.Equal((2 + 6 + 0) / 3.0, bn.RunningMean!.Item(), 1e-15);
        Assert.Equal((2 + 2 + 0) / 3.0, bn.RunningVar!.Item(), 1e-15);
    }

    [Fact]
    public void WithoutRunningStatisticsEvalUsesTheBatch()
    {
        var bn = new BatchNorm1d(1, trackRunningStats: false, affine: false, dtype: DType.Float64).Eval();
        var y = bn.Forward(Tensor.FromArray(new double[] { 1, 3 }, 2, 1)).ToArray();
        NNAssert.Close([-1 / Math.Sqrt(1 + 1e-5), 1 / Math.Sqrt(1 + 1e-5)], y, 1e-12);
    }

    [Fact]
    public void BatchNormLayersCheckRankAndChannels()
    {
        Assert.Contains("4D", Assert.Throws<ArgumentException>(() => new BatchNorm2d(3).Forward(Tensor.Zeros(2, 3))).Message);
        Assert.Contains("2D", Assert.Throws<ArgumentException>(() => new BatchNorm1d(3).Forward(Tensor.Zeros(2, 3, 4, 4))).Message);
        var ex = Assert.Throws<ArgumentException>(() => new BatchNorm1d(3).Forward(Tensor.Zeros(2, 5)));
        Assert.Contains("expected 3 channels", ex.Message);
        Assert.Contains("(2x5)", ex.Message);
    }

    [Fact]
    public void BatchNormTrainsAsPartOfAModel()
    {
        var g = new Generator(4);
        var model = new Sequential(new Linear(3, 4, generator: g, dtype: DType.Float64), new BatchNorm1d(4, dtype: DType.Float64), new ReLU(), new Linear(4, 1, generator: g, dtype: DType.Float64));
        var parameters = model.Parameters().ToArray();
        var x = Tensor.Randn([6, 3], g, DType.Float64);
        var result = GradCheck.Check(p => model.Forward(x), parameters);
        Assert.True(result.Passed, result.ToString());
        Assert.Equal(6, result.Inputs.Count);
    }

    [Fact]
    public void LayerNormKeysShapesAndRepr()
    {
        var ln = new LayerNorm([2, 3]);
        Assert.Equal(["weight", "bias"], ln.StateDict().Keys);
        Assert.Equal([2, 3], ln.Weight!.Shape);
        Assert.Equal("LayerNorm((2, 3), eps=1e-05, elementwise_affine=True)", ln.ToString());
        Assert.Equal("LayerNorm((8,), eps=1e-05, elementwise_affine=True)", new LayerNorm(8).ToString());
        Assert.Empty(new LayerNorm(8, elementwiseAffine: false).StateDict());
        Assert.Equal(["weight"], new LayerNorm(8, bias: false).StateDict().Keys);
        var y = new LayerNorm(4).Forward(Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 1, 4)).ToArray();
        Assert.Equal(0, y.Sum(), 6);
    }

    [Fact]
    public void EmbeddingLayerInitializesZeroesPaddingAndRoundTrips()
    {
        var emb = new Embedding(10, 3, paddingIdx: -1, generator: new Generator(1));
        Assert.Equal(9, emb.PaddingIdx);
        Assert.Equal(["weight"], emb.StateDict().Keys);
        Assert.All(emb.Weight[9].ToArray(), v => Assert.Equal(0, v));
        Assert.Contains(emb.Weight[0].ToArray(), v => v != 0);
        Assert.Equal("Embedding(10, 3, padding_idx=9)", emb.ToString());
        var y = emb.Forward(Tensor.FromArray(new long[] { 9, 0 }, 2));
        Assert.Equal(emb.Weight[0].ToArray(), y[1].ToArray());

        var other = new Embedding(10, 3, generator: new Generator(2));
        other.LoadStateDict(emb.StateDict());
        Assert.Equal(emb.Weight.ToArray(), other.Weight.ToArray());

        var frozen = Embedding.FromPretrained(Tensor.Ones(4, 2));
        Assert.False(frozen.Weight.RequiresGrad);
        Assert.Contains("index 12", Assert.Throws<ArgumentException>(() => emb.Forward(Tensor.FromArray(new long[] { 12 }))).Message);
    }
}
