namespace Backprop.Tests.Ops;

public class LossTests
{
    private static Tensor Random(int[] shape, long seed, double low = -2, double high = 2) =>
        (Tensor.Rand(shape, seed, DType.Float64) * (high - low) + low).Detach().RequiresGrad_();

    private static void AssertAllFinite(Tensor? t)
    {
        Assert.NotNull(t);
        Assert.All(t.ToArray(), v => Assert.True(double.IsFinite(v), $"non-finite value {v} in {t}"));
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    /// <summary>
    /// Cross-entropy's class-index gradient (its own typed loop) gives exactly the bits of the general
    /// loop for the same targets as one-hot probabilities, whose formula reduces to the same arithmetic
    /// (target mass 1, targets 0 or 1).
    /// </summary>
    [Theory]
    [InlineData(DType.Float32, Reduction.Mean, new[] { 6, 5 })]
    [InlineData(DType.Float32, Reduction.Sum, new[] { 3, 4, 2, 3 })]
    [InlineData(DType.Float32, Reduction.None, new[] { 3, 4, 2, 3 })]
    [InlineData(DType.Float64, Reduction.Mean, new[] { 3, 4, 5 })]
    [InlineData(DType.Float64, Reduction.None, new[] { 7, 10 })]
    [InlineData(DType.Float32, Reduction.Mean, new[] { 9 })]
    public void CrossEntropyIndexGradientMatchesOneHotProbabilitiesBitForBit(DType dtype, Reduction reduction, int[] shape)
    {
        var logits = (Tensor.Randn(shape, 11, dtype) * 3.0).Detach();
        int classes = shape.Length == 1 ? shape[0] : shape[1];
        int[] sampleShape = shape.Length == 1 ? [] : [shape[0], .. shape[2..]];
        var labels = Tensor.RandInt(0, classes, sampleShape, new Generator(12));
        var oneHot = Tensor.Zeros(shape, dtype);
        var flatLabels = labels.ToArray<long>();
        int inner = shape.Length <= 2 ? 1 : shape[2..].Aggregate(1, (a, b) => a * b);
        for (int row = 0; row < flatLabels.Length; row++)
        {
            int at = ((row / inner * classes) + (int)flatLabels[row]) * inner + (row % inner);
            oneHot.SetDouble(at, 1);
        }

        Tensor GradientWith(Tensor target)
        {
            var x = logits.Detach().RequiresGrad_();
            var loss = Tensor.CrossEntropy(x, target, reduction);
            loss.Backward(reduction == Reduction.None ? (Tensor.Rand(loss.Shape, 13, dtype) + 0.5).Detach() : null);
            return x.Grad!;
        }

        var byIndex = GradientWith(labels);
        var byProbabilities = GradientWith(oneHot);
        Assert.Equal(byProbabilities.ToArray(), byIndex.ToArray());
        Assert.Equal(dtype, byIndex.DType);
    }

    [Fact]
    public void MseLossReductions()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 4 });
        var t = Tensor.FromArray(new double[] { 0, 2, 1 });
        Assert.Equal(10.0 / 3, Tensor.MseLoss(x, t).Item(), 1e-15);
        Assert.Equal(10.0, Tensor.MseLoss(x, t, Reduction.Sum).Item());
        Assert.Equal(new double[] { 1, 0, 9 }, Tensor.MseLoss(x, t, Reduction.None).ToArray());
        Assert.Equal(0, Tensor.MseLoss(x, t).Rank);
    }

    [Fact]
    public void MseLossGradientIsTwoDiffOverN()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 4 }).RequiresGrad_();
        var t = Tensor.FromArray(new double[] { 0, 2, 1 }).RequiresGrad_();
        Tensor.MseLoss(x, t).Backward();
        AssertClose([2.0 / 3, 0, 2], x.Grad!.ToArray(), 1e-15);
        AssertClose([-2.0 / 3, 0, -2], t.Grad!.ToArray(), 1e-15);
    }

    [Fact]
    public void BinaryCrossEntropyMatchesReference()
    {
        var p = Tensor.FromArray(new double[] { 0.8, 0.3 });
        var t = Tensor.FromArray(new double[] { 1, 0 });
        // (−log 0.8 − log 0.7) / 2
        Assert.Equal(0.28990924762647107, Tensor.BinaryCrossEntropy(p, t).Item(), 1e-15);
    }

    [Fact]
    public void BinaryCrossEntropyClampsLogsAtMinus100()
    {
        var p = Tensor.FromArray(new double[] { 0, 1, 0, 1 }).RequiresGrad_();
        var t = Tensor.FromArray(new double[] { 1, 0, 0, 1 });
        var loss = Tensor.BinaryCrossEntropy(p, t, Reduction.None);
        Assert.Equal(new double[] { 100, 100, 0, 0 }, loss.ToArray());
        loss.Sum().Backward();
        AssertAllFinite(p.Grad);
        // (p − t) / max(p(1 − p), 1e-12)
        Assert.Equal(new double[] { -1e12, 1e12, 0, 0 }, p.Grad!.ToArray());
    }

    [Fact]
    public void BinaryCrossEntropyRejectsNonProbabilities()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.BinaryCrossEntropy(Tensor.FromArray(new double[] { 0.5, 1.5 }), Tensor.FromArray(new double[] { 0, 1 })));
        Assert.Contains("binary_cross_entropy", ex.Message);
        Assert.Contains("1.5", ex.Message);
    }

    [Fact]
    public void BinaryCrossEntropyWithLogitsMatchesReferenceAndSigmoidForm()
    {
        var x = Tensor.FromArray(new double[] { 2, -1 });
        var t = Tensor.FromArray(new double[] { 1, 0.25 });
        AssertClose([0.1269280110429725, 0.56326168751822283], Tensor.BinaryCrossEntropyWithLogits(x, t, Reduction.None).ToArray(), 1e-15);
        Assert.Equal(
            Tensor.BinaryCrossEntropy(x.Sigmoid(), t, Reduction.Sum).Item(),
            Tensor.BinaryCrossEntropyWithLogits(x, t, Reduction.Sum).Item(),
            1e-14);
    }

    [Fact]
    public void BinaryCrossEntropyWithLogitsIsFiniteForPlusMinus1000()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = Tensor.FromArray(new double[] { 1000, -1000, 1000, -1000 });
            var t = Tensor.FromArray(new double[] { 1, 0, 0, 1 });
            if (dtype == DType.Float32)
            {
                (x, t) = (Tensor.FromArray(x.ToArray<float>()), Tensor.FromArray(t.ToArray<float>()));
            }

            x.RequiresGrad_();
            var loss = Tensor.BinaryCrossEntropyWithLogits(x, t, Reduction.None);
            Assert.Equal(new double[] { 0, 0, 1000, 1000 }, loss.ToArray());
            loss.Sum().Backward();
            Assert.Equal(new double[] { 0, 0, 1, -1 }, x.Grad!.ToArray());
        }
    }

    [Fact]
    public void CrossEntropyOfKnownLogits()
    {
        var logits = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 1, 1, 1 } });
        var target = Tensor.FromArray(new long[] { 2, 0 });
        // log(e + e² + e³) − 3 and log 3
        AssertClose([0.4076059644443803, 1.0986122886681097], Tensor.CrossEntropy(logits, target, Reduction.None).ToArray(), 1e-15);
        Assert.Equal(0.753109126556245, Tensor.CrossEntropy(logits, target).Item(), 1e-15);
        Assert.Equal(1.5062182531124900, Tensor.CrossEntropy(logits, target, Reduction.Sum).Item(), 1e-14);
    }

    [Fact]
    public void CrossEntropyGradientIsSoftmaxMinusOneHotOverN()
    {
        var logits = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 1, 1, 1 } }).RequiresGrad_();
        Tensor.CrossEntropy(logits, Tensor.FromArray(new long[] { 2, 0 })).Backward();
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        double[] expected =
        [
            Math.Exp(1) / z / 2, Math.Exp(2) / z / 2, (Math.Exp(3) / z - 1) / 2,
            (1 / 3.0 - 1) / 2, 1 / 3.0 / 2, 1 / 3.0 / 2,
        ];
        AssertClose(expected, logits.Grad!.ToArray(), 1e-15);
    }

    [Fact]
    public void CrossEntropyEqualsNllOfLogSoftmax()
    {
        var logits = Random([5, 4], seed: 4);
        var target = Tensor.FromArray(new long[] { 0, 3, 1, 1, 2 });
        foreach (var reduction in new[] { Reduction.None, Reduction.Mean, Reduction.Sum })
        {
            AssertClose(
                Tensor.NllLoss(logits.LogSoftmax(1), target, reduction).ToArray(),
                Tensor.CrossEntropy(logits, target, reduction).ToArray(),
                1e-14);
        }
    }

    [Fact]
    public void CrossEntropyAcceptsOneDimensionalInputAndScalarTarget()
    {
        var logits = Tensor.FromArray(new double[] { 1, 2, 3 });
        var loss = Tensor.CrossEntropy(logits, Tensor.Scalar(2, DType.Int64));
        Assert.Equal(0, loss.Rank);
        Assert.Equal(0.4076059644443803, loss.Item(), 1e-15);
    }

    [Fact]
    public void CrossEntropyWithProbabilityTargets()
    {
        var logits = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 1, 1, 1 } }).RequiresGrad_();
        // One-hot probabilities give the same loss as indices.
        var onehot = Tensor.FromArray(new double[,] { { 0, 0, 1 }, { 1, 0, 0 } });
        Assert.Equal(0.753109126556245, Tensor.CrossEntropy(logits, onehot).Item(), 1e-15);

        var soft = Tensor.FromArray(new double[,] { { 0.5, 0, 0.5 }, { 0.2, 0.3, 0.5 } });
        double lse0 = 3.4076059644443803, lse1 = 1 + Math.Log(3);
        double expected = ((0.5 * (lse0 - 1)) + (0.5 * (lse0 - 3)) + (lse1 - 1)) / 2;
        Assert.Equal(expected, Tensor.CrossEntropy(logits, soft).Item(), 1e-15);

        var target = Random([3, 4], seed: 5, 0, 1);
        Assert.True(GradCheck.Check(t => Tensor.CrossEntropy(t[0], t[1]), Random([3, 4], seed: 6), target).Passed);
    }

    [Fact]
    public void CrossEntropyIsFiniteForLogitsOfPlusMinus1000()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = Tensor.FromArray(new double[,] { { 1000, -1000, 0 }, { -1000, 1000, -1000 }, { 1000, 1000, -1000 } });
            if (dtype == DType.Float32)
            {
                x = Tensor.FromArray(x.ToArray<float>(), 3, 3);
            }

            x.RequiresGrad_();
            var loss = Tensor.CrossEntropy(x, Tensor.FromArray(new long[] { 0, 0, 2 }), Reduction.None);
            AssertClose([0, 2000, 2000 + Math.Log(2)], loss.ToArray(), 1e-3);
            loss.Sum().Backward();
            AssertAllFinite(x.Grad);
            AssertClose([0, 0, 0, -1, 1, 0, 0.5, 0.5, -1], x.Grad!.ToArray(), 1e-6);

            var probabilities = Tensor.FromArray(new double[,] { { 0.5, 0.5, 0 }, { 0, 0, 1 }, { 1, 0, 0 } });
            if (dtype == DType.Float32)
            {
                probabilities = Tensor.FromArray(probabilities.ToArray<float>(), 3, 3);
            }

            x.ZeroGrad();
            var soft = Tensor.CrossEntropy(x, probabilities);
            AssertAllFinite(soft);
            soft.Backward();
            AssertAllFinite(x.Grad);
        }
    }

    [Fact]
    public void CrossEntropyNamesAnOutOfRangeLabelAndTheClassCount()
    {
        var logits = Tensor.Zeros(3, 5);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.CrossEntropy(logits, Tensor.FromArray(new long[] { 0, 7, 1 })));
        Assert.Contains("cross_entropy", ex.Message);
        Assert.Contains("label 7", ex.Message);
        Assert.Contains("5 classes", ex.Message);
        var negative = Assert.Throws<ArgumentException>(() => Tensor.NllLoss(logits, Tensor.FromArray(new long[] { 0, -1, 1 })));
        Assert.Contains("nll_loss", negative.Message);
        Assert.Contains("label -1", negative.Message);
    }

    [Fact]
    public void CrossEntropyNamesBothShapesOnMismatch()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.CrossEntropy(Tensor.Zeros(4, 3), Tensor.FromArray(new long[] { 0, 1, 2, 0, 1 })));
        Assert.Contains("cross_entropy", ex.Message);
        Assert.Contains("(4x3)", ex.Message);
        Assert.Contains("(5)", ex.Message);
        Assert.Contains("(4)", ex.Message);

        // Float class indices are not probabilities: the message says indices must be int64.
        var floatLabels = Assert.Throws<ArgumentException>(() => Tensor.CrossEntropy(Tensor.Zeros(4, 3), Tensor.Zeros(4)));
        Assert.Contains("int64", floatLabels.Message);

        var scalar = Assert.Throws<ArgumentException>(() => Tensor.CrossEntropy(Tensor.Scalar(1), Tensor.Scalar(0, DType.Int64)));
        Assert.Contains("class dimension", scalar.Message);
    }

    [Fact]
    public void ElementwiseLossesNameBothShapesOnMismatch()
    {
        var a = Tensor.Zeros(2, 3);
        var b = Tensor.Zeros(3, 2);
        foreach (var (name, loss) in new (string, Func<Tensor>)[]
        {
            ("mse_loss", () => Tensor.MseLoss(a, b)),
            ("binary_cross_entropy", () => Tensor.BinaryCrossEntropy(a, b)),
            ("binary_cross_entropy_with_logits", () => Tensor.BinaryCrossEntropyWithLogits(a, b)),
        })
        {
            var ex = Assert.Throws<ArgumentException>(loss);
            Assert.Contains(name, ex.Message);
            Assert.Contains("(2x3)", ex.Message);
            Assert.Contains("(3x2)", ex.Message);
        }
    }

    [Fact]
    public void NllLossPicksMinusTheTargetLogProbability()
    {
        var logp = Tensor.FromArray(new double[,] { { -0.5, -1.5, -2 }, { -3, -0.1, -4 } }).RequiresGrad_();
        var target = Tensor.FromArray(new long[] { 1, 2 });
        Assert.Equal(new double[] { 1.5, 4 }, Tensor.NllLoss(logp, target, Reduction.None).ToArray());
        var loss = Tensor.NllLoss(logp, target);
        Assert.Equal(2.75, loss.Item());
        loss.Backward();
        Assert.Equal(new double[] { 0, -0.5, 0, 0, 0, -0.5 }, logp.Grad!.ToArray());
    }

    [Fact]
    public void EveryLossPassesGradCheckForEveryReduction()
    {
        var labels = Tensor.FromArray(new long[] { 2, 0, 3 });
        Assert.True(GradCheck.Check(t => Tensor.KlDiv(t[0], t[1], Reduction.BatchMean, logTarget: true), Random([3, 4], 28, -3, 0), Random([3, 4], 29, -3, 0)).Passed, "kl_div batchmean");
        foreach (var reduction in new[] { Reduction.None, Reduction.Mean, Reduction.Sum })
        {
            var r = reduction;
            Assert.True(GradCheck.Check(t => Tensor.MseLoss(t[0], t[1], r), Random([3, 4], 7), Random([3, 4], 8)).Passed, $"mse {r}");
            Assert.True(GradCheck.Check(t => Tensor.BinaryCrossEntropy(t[0], t[1], r), Random([3, 4], 9, 0.05, 0.95), Random([3, 4], 10, 0, 1)).Passed, $"bce {r}");
            Assert.True(GradCheck.Check(t => Tensor.BinaryCrossEntropyWithLogits(t[0], t[1], r), Random([3, 4], 11, -4, 4), Random([3, 4], 12, 0, 1)).Passed, $"bce logits {r}");
            Assert.True(GradCheck.Check(t => Tensor.CrossEntropy(t[0], t[1], r), Random([3, 4], 13), labels).Passed, $"cross entropy {r}");
            Assert.True(GradCheck.Check(t => Tensor.NllLoss(t[0], t[1], r), Random([3, 4], 14), labels).Passed, $"nll {r}");
            Assert.True(GradCheck.Check(t => Tensor.CrossEntropy(t[0], t[1], r), Random([2, 3, 4], 15), Tensor.FromArray(new long[] { 0, 2, 1, 1, 2, 0, 0, 1 }, 2, 4)).Passed, $"spatial cross entropy {r}");
            var weight = Tensor.FromArray(new[] { 0.5, 2, 1.5, 0.75 }, 4);
            var someIgnored = Tensor.FromArray(new long[] { 2, -100, 3 });
            Assert.True(GradCheck.Check(t => Tensor.CrossEntropy(t[0], t[1], r, weight, labelSmoothing: 0.2), Random([3, 4], 16), someIgnored).Passed, $"cross entropy with options {r}");
            Assert.True(GradCheck.Check(t => Tensor.NllLoss(t[0], t[1], r, weight, ignoreIndex: 0), Random([3, 4], 17), labels).Passed, $"nll with options {r}");
            Assert.True(GradCheck.Check(t => Tensor.BinaryCrossEntropyWithLogits(t[0], t[1], r, weight, weight), Random([3, 4], 18, -4, 4), Random([3, 4], 19, 0, 1)).Passed, $"bce logits with weights {r}");
            Assert.True(GradCheck.Check(t => Tensor.L1Loss(t[0], t[1], r), Random([3, 4], 20), Random([3, 4], 21)).Passed, $"l1 {r}");
            Assert.True(GradCheck.Check(t => Tensor.SmoothL1Loss(t[0], t[1], r, 0.7), Random([3, 4], 22), Random([3, 4], 23)).Passed, $"smooth l1 {r}");
            Assert.True(GradCheck.Check(t => Tensor.HuberLoss(t[0], t[1], r, 0.7), Random([3, 4], 24), Random([3, 4], 25)).Passed, $"huber {r}");
            Assert.True(GradCheck.Check(t => Tensor.KlDiv(t[0], t[1], r), Random([3, 4], 26, -3, 0), Random([3, 4], 27, 0.05, 1)).Passed, $"kl_div {r}");
        }
    }

    [Fact]
    public void RegistryRowsPassGradCheck()
    {
        // The rows the loss definitions (Ops/Losses.cs) give the registry: every loss is in it, and passes.
        var rows = OpRegistry.All.Where(o => o.Name.Contains("loss", StringComparison.Ordinal) || o.Name.Contains("entropy", StringComparison.Ordinal) || o.Name.StartsWith("kl_div", StringComparison.Ordinal)).ToList();
        Assert.Equal(32, rows.Count);
        foreach (var op in rows)
        {
            var result = op.Check();
            Assert.True(result.Passed, $"{op.Name}:\n{result}");
        }
    }
}
