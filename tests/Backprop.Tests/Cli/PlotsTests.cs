using Backprop.Cli.Training;

namespace Backprop.Tests.Cli;

/// <summary>The axes of the training plots: whole-number epoch ticks and y limits that fit the values.</summary>
public class PlotsTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(1, 3)]
    [InlineData(1, 10)]
    [InlineData(1, 11)]
    [InlineData(1, 30)]
    [InlineData(11, 14)]
    [InlineData(3, 97)]
    [InlineData(1, 1000)]
    [InlineData(7, 7)]
    public void EpochTicksAreWholeEpochsInsideTheRunEvenlySpacedAndFew(int first, int last)
    {
        var ticks = Plots.EpochTicks(first, last, maxTicks: 10);
        Assert.NotEmpty(ticks);
        Assert.True(ticks.Length <= 10, string.Join(" ", ticks));
        Assert.All(ticks, t => Assert.Equal(Math.Round(t), t));
        Assert.All(ticks, t => Assert.InRange(t, first, last));
        Assert.Single(ticks.Zip(ticks.Skip(1), (a, b) => b - a).Append(ticks.Length > 1 ? ticks[1] - ticks[0] : 1).Distinct());
    }

    [Fact]
    public void ShortRunsLabelEveryEpoch()
    {
        Assert.Equal([1.0], Plots.EpochTicks(1, 1, 10));
        Assert.Equal([1.0, 2, 3], Plots.EpochTicks(1, 3, 10));
        Assert.Equal([5.0, 10, 15, 20, 25, 30], Plots.EpochTicks(1, 30, 10));
    }

    [Theory]
    [InlineData(0.92)]
    [InlineData(1.0)]
    [InlineData(0.0)]
    [InlineData(0.5)]
    public void ASingleAccuracyGetsASmallWindowInsideZeroToOne(double accuracy)
    {
        var (bottom, top) = Plots.YRange([accuracy], AxisRule.Accuracy);
        Assert.InRange(accuracy, bottom, top);
        Assert.InRange(top - bottom, 0.1, 0.2);

        // The window ends at the bounds, with only the few percent that keep a point on them whole.
        Assert.True(bottom >= -0.01 && top <= 1.01, $"{bottom} .. {top}");
        Assert.True(accuracy - bottom > 0.003 && top - accuracy > 0.003, $"{accuracy} on the edge of {bottom} .. {top}");
    }

    [Fact]
    public void ARangeOfValuesIsShownWholeWithAMargin()
    {
        double[] loss = [1.48, 0.39, 0.25, 0.012];
        var (bottom, top) = Plots.YRange(loss, AxisRule.Loss);
        Assert.True(bottom < 0.012 && bottom > -0.1, $"{bottom}");
        Assert.True(top > 1.48 && top < 1.6, $"{top}");

        double[] log = [-0.3, -1.2, 0.13];
        var (low, high) = Plots.YRange(log, AxisRule.Log10);
        Assert.True(low < -1.2 && low > -1.3 && high > 0.13 && high < 0.23, $"{low} .. {high}");
    }

    [Fact]
    public void NonFiniteValuesAreLeftOutAndNoValuesStillGiveALimit()
    {
        var (bottom, top) = Plots.YRange([0.5, double.NaN, double.PositiveInfinity, 0.7], AxisRule.Loss);
        Assert.True(bottom < 0.5 && top > 0.7 && top < 0.8, $"{bottom} .. {top}");

        var (emptyBottom, emptyTop) = Plots.YRange([double.NaN], AxisRule.Accuracy);
        Assert.True(double.IsFinite(emptyBottom) && double.IsFinite(emptyTop) && emptyTop > emptyBottom);
    }
}
