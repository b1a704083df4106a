using Backprop.Metrics;

namespace Backprop.Tests.Metrics;

/// <summary>Reference values from scikit-learn 1.2.1 (labels=range(n), zero_division 0 and 1).</summary>
public class ConfusionMatrixTests
{
    // Class 4 is neither present nor predicted; class 3 has one miss.
    private static readonly long[] True = [0, 1, 2, 2, 1, 0, 3, 3, 1, 2, 0, 0];
    private static readonly long[] Predicted = [0, 2, 2, 2, 1, 1, 3, 0, 1, 2, 0, 2];

    private static ConfusionMatrix Matrix() => ConfusionMatrix.Of(Tensor.FromArray(Predicted), Tensor.FromArray(True), 5);

    [Fact]
    public void CountsMatchSklearnsConfusionMatrix()
    {
        long[,] expected = { { 2, 1, 1, 0, 0 }, { 0, 2, 1, 0, 0 }, { 0, 0, 3, 0, 0 }, { 1, 0, 0, 1, 0 }, { 0, 0, 0, 0, 0 } };
        var matrix = Matrix();
        Assert.Equal(expected, matrix.ToArray());
        Assert.Equal(12, matrix.Total);
        Assert.Equal(3, matrix[2, 2]);
        Assert.Equal([4L, 3, 3, 2, 0], matrix.Support());
        Assert.Equal(0.6666666666666666, matrix.Accuracy(), 15);
    }

    [Fact]
    public void PerClassScoresMatchSklearn()
    {
        var m = Matrix();
        AssertClose([0.6666666666666666, 0.6666666666666666, 0.6, 1.0, 0.0], m.Precision());
        AssertClose([0.5, 0.6666666666666666, 1.0, 0.5, 0.0], m.Recall());
        AssertClose([0.5714285714285715, 0.6666666666666666, 0.7499999999999999, 0.6666666666666666, 0.0], m.F1());
        AssertClose([0.6666666666666666, 0.6666666666666666, 0.6, 1.0, 1.0], m.Precision(zeroDivision: 1));
        AssertClose([0.5, 0.6666666666666666, 1.0, 0.5, 1.0], m.Recall(zeroDivision: 1));
        AssertClose([0.5714285714285715, 0.6666666666666666, 0.7499999999999999, 0.6666666666666666, 1.0], m.F1(zeroDivision: 1));
    }

    [Theory]
    [InlineData(0, Average.Macro, 0.5866666666666667, 0.5333333333333333, 0.530952380952381)]
    [InlineData(0, Average.Micro, 0.6666666666666666, 0.6666666666666666, 0.6666666666666666)]
    [InlineData(0, Average.Weighted, 0.7055555555555554, 0.6666666666666666, 0.6557539682539683)]
    [InlineData(1, Average.Macro, 0.7866666666666666, 0.7333333333333333, 0.7309523809523809)]
    [InlineData(1, Average.Micro, 0.6666666666666666, 0.6666666666666666, 0.6666666666666666)]
    [InlineData(1, Average.Weighted, 0.7055555555555554, 0.6666666666666666, 0.6557539682539683)]
    public void AveragesMatchSklearn(double zeroDivision, Average average, double precision, double recall, double f1)
    {
        var m = Matrix();
        Assert.Equal(precision, m.Precision(average, zeroDivision), 12);
        Assert.Equal(recall, m.Recall(average, zeroDivision), 12);
        Assert.Equal(f1, m.F1(average, zeroDivision), 12);
    }

    [Theory]
    [InlineData(0, new[] { 0.29166666666666663, 0.6, 0.4666666666666666, 0.375, 0.6, 0.6, 0.325, 0.6, 0.52 })]
    [InlineData(1, new[] { 0.7916666666666666, 0.6, 0.6666666666666666, 0.625, 0.6, 0.6, 0.575, 0.6, 0.52 })]
    public void AClassNeverPredictedFollowsZeroDivisionAsSklearn(double zeroDivision, double[] expected)
    {
        // y_true [0,0,1,1,3], y_pred [0,1,1,1,0], labels 0..3: class 2 absent, class 3 never predicted.
        var m = ConfusionMatrix.Of(Tensor.FromArray(new long[] { 0, 1, 1, 1, 0 }), Tensor.FromArray(new long[] { 0, 0, 1, 1, 3 }), 4);
        double[] actual =
        [
            m.Precision(Average.Macro, zeroDivision), m.Precision(Average.Micro, zeroDivision), m.Precision(Average.Weighted, zeroDivision),
            m.Recall(Average.Macro, zeroDivision), m.Recall(Average.Micro, zeroDivision), m.Recall(Average.Weighted, zeroDivision),
            m.F1(Average.Macro, zeroDivision), m.F1(Average.Micro, zeroDivision), m.F1(Average.Weighted, zeroDivision),
        ];
        AssertClose(expected, actual);
    }

    [Fact]
    public void NaNZeroDivisionLeavesUndefinedClassesOutOfTheMean()
    {
        var m = Matrix();

        // Class 4 is undefined everywhere: the macro mean is over classes 0..3.
        Assert.Equal((0.6666666666666666 + 0.6666666666666666 + 0.6 + 1.0) / 4, m.Precision(Average.Macro, double.NaN), 12);
        Assert.True(double.IsNaN(m.Precision(double.NaN)[4]));
    }

    [Fact]
    public void ScoresAreTurnedIntoPredictionsAndBatchesAccumulate()
    {
        var logits = Tensor.FromArray(new float[] { 0.1f, 2f, -1f, 3f, 0f, 0f }, [3, 2]);
        var m = new ConfusionMatrix(2);
        m.Update(logits, Tensor.FromArray(new long[] { 1, 0, 1 }));
        m.Update(Tensor.FromArray(new long[] { 1 }), Tensor.FromArray(new long[] { 1 }));
        Assert.Equal(new long[,] { { 0, 1 }, { 1, 2 } }, m.ToArray());
        Assert.Equal(0.75, ClassificationMetrics.AccuracyScore(Tensor.FromArray(new long[] { 1, 0, 0, 1 }), Tensor.FromArray(new long[] { 1, 0, 1, 1 })));
        Assert.Equal(1.0 / 3, ClassificationMetrics.AccuracyScore(logits, Tensor.FromArray(new long[] { 1, 0, 1 })), 15);
        Assert.Equal(0.75, ClassificationMetrics.PrecisionScore(Tensor.FromArray(new long[] { 1, 0, 0, 1 }), Tensor.FromArray(new long[] { 1, 0, 1, 1 }), 2), 12);
        Assert.Contains("true\\pred", m.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void BadInputIsRefusedByName()
    {
        var m = new ConfusionMatrix(3);
        Assert.Contains("true class 3", Assert.Throws<ArgumentOutOfRangeException>(() => m.Add(3, 0)).Message, StringComparison.Ordinal);
        Assert.Contains("predicted class -1", Assert.Throws<ArgumentOutOfRangeException>(() => m.Add(0, -1)).Message, StringComparison.Ordinal);
        Assert.Contains("2 predictions for 3 targets", Assert.Throws<ArgumentException>(() => m.Update(Tensor.FromArray(new long[] { 0, 1 }), Tensor.FromArray(new long[] { 0, 1, 2 }))).Message, StringComparison.Ordinal);
        Assert.Contains("4 columns for 3 classes", Assert.Throws<ArgumentException>(() => m.Update(Tensor.Zeros(2, 4), Tensor.FromArray(new long[] { 0, 1 }))).Message, StringComparison.Ordinal);
        Assert.Contains("not a class index", Assert.Throws<ArgumentException>(() => m.Update(Tensor.FromArray(new[] { 0.5f }), Tensor.FromArray(new long[] { 0 }))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConfusionMatrix(0));
        Assert.Equal(0, m.Total);
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-12, $"[{i}]: expected {expected[i]}, got {actual[i]}");
        }
    }
}
