using Backprop.Scalar;

namespace Backprop.Tests.Scalar;

/// <summary>The worked examples of docs/design.md §1, reproduced with the scalar engine in float64.</summary>
public class WorkedExamplesScalarTests
{
    /// <summary>Asserts that <paramref name="actual"/> rounds to <paramref name="expected"/> at the given number of decimals.</summary>
    private static void AssertDecimals(double expected, double actual, int decimals, string what) =>
        Assert.True(Math.Abs(expected - actual) < 0.5 * Math.Pow(10, -decimals),
            $"{what}: expected {expected} to {decimals} decimals, got {actual:R}");

    [Theory]
    [InlineData(2.0, -3.0, 10.0)]
    [InlineData(-0.5, 4.25, 1.0)]
    [InlineData(0.0, 7.0, -2.0)]
    public void ProductPlusSum(double av, double bv, double cv)
    {
        var a = new Value(av, "a");
        var b = new Value(bv, "b");
        var c = new Value(cv, "c");
        Value f = a * b + c;
        f.Backward();
        Assert.Equal(av * bv + cv, f.Data);
        Assert.Equal(bv, a.Grad);
        Assert.Equal(av, b.Grad);
        Assert.Equal(1.0, c.Grad);
    }

    [Theory]
    [InlineData(3.0)]
    [InlineData(-1.5)]
    [InlineData(0.1)]
    public void ChainRuleThroughASquare(double tv)
    {
        // y = 5x + 3, x = t²  ⇒  dy/dt = dy/dx · dx/dt = 5 · 2t = 10t.
        var t = new Value(tv, "t");
        Value x = t.Pow(2);
        Value y = 5 * x + 3;
        y.Backward();
        Assert.Equal(5 * tv * tv + 3, y.Data, 12);
        Assert.Equal(10 * tv, t.Grad);
        Assert.Equal(5.0, x.Grad);
    }

    [Fact]
    public void ThreeWeightGraph()
    {
        var w1 = new Value(3, "w1");
        var w2 = new Value(4, "w2");
        var w3 = new Value(5, "w3");
        Value g = -2 * w1;
        Value y = w2 + g;
        Value z = y * w3;
        Value loss = 10 - z;
        Assert.Equal(-10.0, z.Data);
        Assert.Equal(20.0, loss.Data);

        z.Backward();
        Assert.Equal(-10.0, w1.Grad);
        Assert.Equal(5.0, w2.Grad);
        Assert.Equal(-2.0, w3.Grad);

        // ∂loss/∂w = −∂z/∂w.
        loss.ZeroGrad();
        loss.Backward();
        Assert.Equal(10.0, w1.Grad);
        Assert.Equal(-5.0, w2.Grad);
        Assert.Equal(2.0, w3.Grad);
    }

    /// <summary>Matt Mazur's 2-2-2 sigmoid network with E = ½ Σ (t − o)².</summary>
    private sealed class MazurNetwork
    {
        public readonly Value[] W = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]; // w1..w8
        public readonly Value B1 = 0.35;
        public readonly Value B2 = 0.60;

        public (Value H1, Value H2, Value O1, Value O2, Value E) Forward()
        {
            const double X1 = 0.05, X2 = 0.10, T1 = 0.01, T2 = 0.99;
            Value h1 = (W[0] * X1 + W[1] * X2 + B1).Sigmoid();
            Value h2 = (W[2] * X1 + W[3] * X2 + B1).Sigmoid();
            Value o1 = (W[4] * h1 + W[5] * h2 + B2).Sigmoid();
            Value o2 = (W[6] * h1 + W[7] * h2 + B2).Sigmoid();
            Value e = 0.5 * ((T1 - o1).Pow(2) + (T2 - o2).Pow(2));
            return (h1, h2, o1, o2, e);
        }

        /// <summary>One gradient step on the weights; the biases are held.</summary>
        public Value Step(double learningRate, bool byConsumers = false)
        {
            Value e = Forward().E;
            e.ZeroGrad();
            if (byConsumers)
            {
                e.BackwardByConsumers();
            }
            else
            {
                e.Backward();
            }

            foreach (Value w in W)
            {
                w.Data -= learningRate * w.Grad;
            }

            return e;
        }
    }

    [Fact]
    public void MazurForwardPass()
    {
        var (h1, h2, o1, o2, e) = new MazurNetwork().Forward();
        AssertDecimals(0.593269992, h1.Data, 9, "out_h1");
        AssertDecimals(0.596884378, h2.Data, 9, "out_h2");
        AssertDecimals(0.751365070, o1.Data, 9, "out_o1");
        AssertDecimals(0.772928465, o2.Data, 9, "out_o2");
        AssertDecimals(0.298371109, e.Data, 9, "E");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MazurOneStep(bool byConsumers)
    {
        var net = new MazurNetwork();
        net.Step(0.5, byConsumers);
        double[] expected = [0.149780716, 0.199561432, 0.249751144, 0.299502287,
            0.358916480, 0.408666186, 0.511301270, 0.561370121];
        for (int i = 0; i < 8; i++)
        {
            AssertDecimals(expected[i], net.W[i].Data, 9, $"w{i + 1}");
        }

        Assert.Equal(0.35, net.B1.Data);
        Assert.Equal(0.60, net.B2.Data);
    }

    [Fact]
    public void MazurTenThousandSteps()
    {
        // E after 10,000 updates (python float64 gives 3.5101877829e-05). Mazur's post quotes
        // 0.0000351085, which is E evaluated before the 10,000th update.
        var net = new MazurNetwork();
        for (int step = 0; step < 10_000; step++)
        {
            net.Step(0.5);
        }

        double e = net.Forward().E.Data;
        Assert.True(Math.Abs(e - 3.5102e-05) < 5e-10, $"E = {e:R}, expected 3.5102e-05");
    }

    /// <summary>2 inputs → 2 linear hidden units → 1 output: 4 + 2 hidden weights and biases, 2 + 1 output: 9 parameters.</summary>
    private sealed class TwoTwoOneNetwork
    {
        public readonly Value[] HiddenWeights = [0.1, 0.1, 0.1, 0.1]; // unit 1: [0], [1]; unit 2: [2], [3]
        public readonly Value[] HiddenBiases = [0.0, 0.0];
        public readonly Value[] OutputWeights = [0.1, 0.1];
        public readonly Value OutputBias = 0.0;

        public IEnumerable<Value> Parameters() =>
            HiddenWeights.Concat(HiddenBiases).Concat(OutputWeights).Append(OutputBias);

        /// <summary>The output unit's pre-activation z.</summary>
        public Value Forward(double x1, double x2)
        {
            Value h1 = HiddenWeights[0] * x1 + HiddenWeights[1] * x2 + HiddenBiases[0];
            Value h2 = HiddenWeights[2] * x1 + HiddenWeights[3] * x2 + HiddenBiases[1];
            return OutputWeights[0] * h1 + OutputWeights[1] * h2 + OutputBias;
        }

        /// <summary>One epoch of per-row SGD; returns the mean of each row's loss taken before its update.</summary>
        public double Epoch((double X1, double X2, double Y)[] rows, Func<Value, double, Value> loss, double learningRate)
        {
            double total = 0;
            foreach (var (x1, x2, y) in rows)
            {
                Value l = loss(Forward(x1, x2), y);
                total += l.Data;
                l.ZeroGrad();
                l.Backward();
                foreach (Value p in Parameters())
                {
                    p.Data -= learningRate * p.Grad;
                }
            }

            return total / rows.Length;
        }
    }

    [Fact]
    public void LinearRegressionNetwork()
    {
        var net = new TwoTwoOneNetwork();
        Assert.Equal(9, net.Parameters().Count());
        (double, double, double)[] rows = [(8, 8, 4), (7, 9, 5), (6, 10, 6), (5, 12, 7)];
        double[] expected = [26.3456, 19.8594, 10.8816, 3.7770, 1.2238];
        for (int epoch = 0; epoch < expected.Length; epoch++)
        {
            double mean = net.Epoch(rows, (z, y) => (y - z).Pow(2), learningRate: 0.001);
            AssertDecimals(expected[epoch], mean, 4, $"epoch {epoch + 1} loss");
        }
    }

    [Fact]
    public void LogisticNetworkWithBinaryCrossEntropy()
    {
        // ŷ = σ(z), L = −y log ŷ − (1−y) log(1−ŷ). With η = 0.01 the loss falls every epoch,
        // 0.69809 → 0.69207 over 20 epochs and → 0.65892 over 200 (per-row SGD).
        var net = new TwoTwoOneNetwork();
        (double, double, double)[] rows = [(8, 8, 1), (7, 9, 1), (6, 10, 0), (5, 5, 0)];
        Func<Value, double, Value> bce = (z, y) =>
        {
            Value yHat = z.Sigmoid();
            return -(y * yHat.Log() + (1 - y) * (1 - yHat).Log());
        };

        var losses = new List<double>();
        for (int epoch = 0; epoch < 200; epoch++)
        {
            losses.Add(net.Epoch(rows, bce, learningRate: 0.01));
        }

        for (int epoch = 1; epoch < losses.Count; epoch++)
        {
            Assert.True(losses[epoch] < losses[epoch - 1], $"epoch {epoch + 1}: {losses[epoch]:R} ≥ {losses[epoch - 1]:R}");
        }

        AssertDecimals(0.69809, losses[0], 5, "epoch 1 loss");
        AssertDecimals(0.69207, losses[19], 5, "epoch 20 loss");
        AssertDecimals(0.65892, losses[199], 5, "epoch 200 loss");
    }
}
