using Backprop.Explain;

namespace Backprop.Tests.Explain;

public class FiniteDifferenceTests
{
    [Theory]
    [InlineData("y = exp(x)*w")]
    [InlineData("y = log(x*x + 1)/w")]
    [InlineData("y = sqrt(x*x + w*w)")]
    [InlineData("y = tanh(x*w - 1)")]
    [InlineData("y = sigmoid(x)^3 - sigmoid(-w)")]
    [InlineData("y = relu(x) + relu(-w)*2")]
    [InlineData("y = abs(x - w)")]
    [InlineData("y = x^w")]
    [InlineData("y = -(x/w)^2")]
    [InlineData("h = tanh(x); g = sigmoid(h*w); y = g*h + log(g)")]
    public void EveryFunctionsGradientMatchesTheCentralDifference(string program)
    {
        // Points away from kinks (relu, abs at 0) and inside every domain.
        foreach (var (x, w) in new[] { (0.7, 1.3), (1.9, 0.4), (2.5, 2.2) })
        {
            var e = Explanation.Create(program, [KeyValuePair.Create("x", x), KeyValuePair.Create("w", w)]);
            foreach (var g in e.Gradients)
            {
                // gradcheck's tolerance: |g − fd| ≤ atol + rtol·|fd|, atol 1e-5, rtol 1e-3.
                Assert.True(Math.Abs(g.Gradient - g.FiniteDifference) <= 1e-5 + (1e-3 * Math.Abs(g.FiniteDifference)),
                    $"{program} at x={x}, w={w}: ∂y/∂{g.Input.Name} = {g.Gradient}, finite difference {g.FiniteDifference}");
                Assert.True(g.RelativeError < 1e-6, $"{program}: relative error {g.RelativeError}");
            }
        }
    }

    [Fact]
    public void UndefinedAtAShiftedPointIsNotANumber()
    {
        // sqrt(x − 1) at x = 1 + 1e-7: x − h is outside the domain.
        var program = ExplainProgram.Parse("y = sqrt(x - 1)");
        Assert.True(double.IsNaN(FiniteDifference.Central(program, [KeyValuePair.Create("x", 1 + 1e-7)], "x")));
        Assert.Throws<ArgumentException>(() => FiniteDifference.Central(program, [KeyValuePair.Create("x", 2.0)], "z"));
    }

    [Theory]
    [InlineData(1.0, 1.0, 0.0)]
    [InlineData(2.0, 1.0, 0.5)]
    [InlineData(0.0, 1e-11, 1e-5)]
    [InlineData(0.0, 0.0, 0.0)]
    public void RelativeError(double analytic, double numeric, double expected) =>
        Assert.Equal(expected, FiniteDifference.RelativeError(analytic, numeric), 12);
}
