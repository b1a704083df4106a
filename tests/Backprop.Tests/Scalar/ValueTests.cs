using Backprop.Scalar;
using static Backprop.Tests.Scalar.ScalarGradientAssert;

namespace Backprop.Tests.Scalar;

public class ValueTests
{
    private static Func<Value, Value> UnaryOp(string name) => name switch
    {
        "neg" => a => -a,
        "pow2" => a => a.Pow(2),
        "pow3" => a => a.Pow(3),
        "pow-1" => a => a.Pow(-1),
        "pow0.5" => a => a.Pow(0.5),
        "exp" => a => a.Exp(),
        "log" => a => a.Log(),
        "tanh" => a => a.Tanh(),
        "sigmoid" => a => a.Sigmoid(),
        "relu" => a => a.Relu(),
        "a+2.5" => a => a + 2.5,
        "2.5+a" => a => 2.5 + a,
        "a-2.5" => a => a - 2.5,
        "2.5-a" => a => 2.5 - a,
        "a*2.5" => a => a * 2.5,
        "2.5*a" => a => 2.5 * a,
        "a/2.5" => a => a / 2.5,
        "2.5/a" => a => 2.5 / a,
        _ => throw new ArgumentException(name),
    };

    public static TheoryData<string, double> UnaryCases()
    {
        var data = new TheoryData<string, double>();
        string[] anywhere = ["neg", "pow2", "pow3", "pow-1", "exp", "tanh", "sigmoid", "relu",
            "a+2.5", "2.5+a", "a-2.5", "2.5-a", "a*2.5", "2.5*a", "a/2.5", "2.5/a"];
        foreach (string op in anywhere)
        {
            foreach (double x in new[] { -1.7, -0.3, 0.4, 2.2 })
            {
                data.Add(op, x);
            }
        }

        foreach (string op in new[] { "log", "pow0.5" })
        {
            foreach (double x in new[] { 0.05, 0.4, 1.0, 3.7 })
            {
                data.Add(op, x);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(UnaryCases))]
    public void UnaryDerivativeMatchesCentralDifference(string op, double x)
    {
        Func<Value, Value> f = UnaryOp(op);
        var a = new Value(x);
        f(a).Backward();
        AssertGradClose(CentralDifference(t => f(new Value(t)).Data, x), a.Grad);
    }

    private static Func<Value, Value, Value> BinaryOp(string name) => name switch
    {
        "+" => (a, b) => a + b,
        "-" => (a, b) => a - b,
        "*" => (a, b) => a * b,
        "/" => (a, b) => a / b,
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("+", 1.3, -0.7)]
    [InlineData("+", -2.0, 5.5)]
    [InlineData("-", 1.3, -0.7)]
    [InlineData("-", -2.0, 5.5)]
    [InlineData("*", 1.3, -0.7)]
    [InlineData("*", -2.0, 5.5)]
    [InlineData("/", 1.3, -0.7)]
    [InlineData("/", -2.0, 5.5)]
    public void BinaryDerivativesMatchCentralDifference(string op, double x, double y)
    {
        Func<Value, Value, Value> f = BinaryOp(op);
        var a = new Value(x);
        var b = new Value(y);
        f(a, b).Backward();
        AssertGradClose(CentralDifference(t => f(new Value(t), new Value(y)).Data, x), a.Grad);
        AssertGradClose(CentralDifference(t => f(new Value(x), new Value(t)).Data, y), b.Grad);
    }

    [Fact]
    public void ForwardValuesMatchMath()
    {
        var x = new Value(0.8);
        Assert.Equal(0.8 + 3, (x + 3).Data);
        Assert.Equal(0.8 - 3, (x - 3).Data);
        Assert.Equal(0.8 * 3, (x * 3).Data);
        Assert.Equal(0.8 / 4, (x / 4).Data); // 1/4 is exact, so a·b⁻¹ = a/b here
        Assert.Equal(-0.8, (-x).Data);
        Assert.Equal(Math.Pow(0.8, 3), x.Pow(3).Data);
        Assert.Equal(Math.Exp(0.8), x.Exp().Data);
        Assert.Equal(Math.Log(0.8), x.Log().Data);
        Assert.Equal(Math.Tanh(0.8), x.Tanh().Data);
        Assert.Equal(1 / (1 + Math.Exp(-0.8)), x.Sigmoid().Data);
        Assert.Equal(0.8, x.Relu().Data);
        Assert.Equal(0.0, new Value(-0.8).Relu().Data);
    }

    [Fact]
    public void SigmoidIsStableForLargeInputs()
    {
        var big = new Value(1000);
        var small = new Value(-1000);
        Value s1 = big.Sigmoid();
        Value s2 = small.Sigmoid();
        s1.Backward();
        s2.Backward();
        Assert.Equal(1.0, s1.Data);
        Assert.Equal(0.0, s2.Data);
        Assert.Equal(0.0, big.Grad);
        Assert.Equal(0.0, small.Grad);
        Assert.Equal(0.25, new Value(0).Sigmoid().LocalDerivatives[0]); // σ'(x) ≤ 0.25, reached at 0
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-2.5)]
    public void LogOfNonPositiveThrowsNamingTheValue(double x)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Value(x, "w3").Log());
        Assert.Equal("w3", ex.ParamName);
        Assert.Equal(x, ex.ActualValue);
        Assert.Contains("'w3'", ex.Message);
        Assert.Contains(x.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Value(x).Log());
    }

    [Fact]
    public void NodesRecordTheirOpInputsAndLocalDerivatives()
    {
        var a = new Value(2, "a");
        var b = new Value(-3, "b");
        Value m = a * b;
        Assert.Equal("*", m.Op);
        Assert.Equal(new[] { a, b }, m.Children);
        Assert.Equal(new[] { -3.0, 2.0 }, m.LocalDerivatives);
        Assert.Equal("", a.Op);
        Assert.Empty(a.Children);
        Assert.Equal("a", a.Label);
        Assert.Equal("+", (a + b).Op);
        Assert.Equal("exp", a.Exp().Op);
        Assert.Equal("**2", a.Pow(2).Op);
        Value c = 4.5; // implicit conversion
        Assert.Equal(4.5, c.Data);
        Assert.Null(c.Label);
    }

    [Fact]
    public void ToStringShowsDataAndGrad()
    {
        var a = new Value(2.5);
        Value y = a * 3;
        y.Backward();
        Assert.Equal("Value(data=2.5, grad=3)", a.ToString());
        Assert.Equal("Value(data=7.5, grad=1)", y.ToString());
    }

    [Fact]
    public void ANodeUsedSeveralTimesGetsTheSumOfItsPaths()
    {
        // b = a + a, f = a·a + a·b = a² + 2a² = 3a², so df/da = 6a; df/db (b held) = a.
        var a = new Value(3, "a");
        Value b = a + a;
        Value f = a * a + a * b;
        f.Backward();
        Assert.Equal(27.0, f.Data);
        Assert.Equal(18.0, a.Grad);
        Assert.Equal(3.0, b.Grad);

        var a2 = new Value(-1.25);
        Value sq = a2 * a2; // the same input in both slots
        sq.Backward();
        Assert.Equal(-2.5, a2.Grad);
    }

    [Fact]
    public void MatchesMicrogradSanityCheck()
    {
        // micrograd's test_sanity_check: y = h + q + q·x with z = 2x + 2 + x, q = relu(z) + z·x, h = relu(z·z).
        // At x = −4: z = −10, q = 40, h = 100, y = −20; dy/dx = 6z + 3x + z + 3x² + 2xz = 46.
        var x = new Value(-4.0);
        Value z = 2 * x + 2 + x;
        Value q = z.Relu() + z * x;
        Value h = (z * z).Relu();
        Value y = h + q + q * x;
        y.Backward();
        Assert.Equal(-20.0, y.Data);
        Assert.Equal(46.0, x.Grad);
    }

    [Fact]
    public void MatchesMicrogradReadmeExample()
    {
        // The example in micrograd's README; its printed results (checked there against PyTorch)
        // are g = 24.7041, ∂g/∂a = 138.8338, ∂g/∂b = 645.5773.
        var a = new Value(-4.0);
        var b = new Value(2.0);
        Value c = a + b;
        Value d = a * b + b.Pow(3);
        c += c + 1;
        c += 1 + c + (-a);
        d += d * 2 + (b + a).Relu();
        d += 3 * d + (b - a).Relu();
        Value e = c - d;
        Value f = e.Pow(2);
        Value g = f / 2.0;
        g += 10.0 / f;
        g.Backward();
        Assert.Equal(24.7041, Math.Round(g.Data, 4));
        Assert.Equal(138.8338, Math.Round(a.Grad, 4));
        Assert.Equal(645.5773, Math.Round(b.Grad, 4));
    }

    /// <summary>A reproducible random DAG with heavy fan-out: each node reads 1 or 2 earlier nodes.</summary>
    private static (Value[] Nodes, Value Output) RandomGraph(double[] leafData, int seed)
    {
        var random = new Random(seed);
        var nodes = new List<Value>();
        foreach (double d in leafData)
        {
            nodes.Add(new Value(d));
        }

        for (int i = 0; i < 300; i++)
        {
            Value p = nodes[random.Next(nodes.Count)];
            Value q = nodes[random.Next(nodes.Count)];
            nodes.Add(random.Next(6) switch
            {
                0 => p + q,
                1 => (p * q).Tanh(),
                2 => p.Sigmoid() - q,
                3 => (p * 0.5).Tanh() * q.Sigmoid(),
                4 => p / (1 + q * q),
                _ => (p * p + 1).Log() + q.Relu(),
            });
        }

        Value output = nodes[^1];
        for (int i = 2; i <= 20; i++)
        {
            output += nodes[^i];
        }

        return (nodes.ToArray(), output);
    }

    [Fact]
    public void BackwardByConsumersEqualsBackwardBitwiseOnAGraphWithFanOut()
    {
        double[] leaves = [0.3, -0.8, 1.1, 0.05, -1.6];
        var (nodes, output) = RandomGraph(leaves, seed: 7);

        output.Backward();
        double[] pushed = nodes.Select(n => n.Grad).ToArray();
        output.ZeroGrad();
        Assert.All(nodes, n => Assert.Equal(0.0, n.Grad));
        output.BackwardByConsumers();
        double[] pulled = nodes.Select(n => n.Grad).ToArray();

        Assert.Contains(pushed, g => g != 0);
        for (int i = 0; i < nodes.Length; i++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(pushed[i]), BitConverter.DoubleToInt64Bits(pulled[i]));
        }

        // And both are the true gradient.
        for (int k = 0; k < leaves.Length; k++)
        {
            double numeric = CentralDifference(t =>
            {
                double[] shifted = (double[])leaves.Clone();
                shifted[k] = t;
                return RandomGraph(shifted, seed: 7).Output.Data;
            }, leaves[k]);
            AssertGradClose(numeric, pulled[k]);
        }
    }

    [Fact]
    public void BackwardByConsumersEqualsBackwardOnTheFanOutExample()
    {
        var a = new Value(3);
        Value b = a + a;
        Value f = a * a + a * b;
        f.BackwardByConsumers();
        Assert.Equal(18.0, a.Grad);
        Assert.Equal(3.0, b.Grad);
        Assert.Equal(1.0, f.Grad);
    }

    [Fact]
    public void GradientsAccumulateAcrossCallsUntilZeroGrad()
    {
        var a = new Value(2);
        var b = new Value(-3);
        Value m = a * b;
        Value f = m + a.Tanh();
        f.Backward();
        double once = a.Grad;
        f.Backward();
        Assert.Equal(2 * once, a.Grad); // added once more, not re-propagated from accumulated grads
        Assert.Equal(4.0, b.Grad);
        Assert.Equal(2.0, m.Grad);
        f.BackwardByConsumers();
        Assert.Equal(3 * once, a.Grad);

        f.ZeroGrad();
        Assert.All(f.TopologicalOrder(), v => Assert.Equal(0.0, v.Grad));
        f.Backward();
        Assert.Equal(once, a.Grad);
    }

    [Fact]
    public void TopologicalOrderPutsInputsFirstAndEachNodeOnce()
    {
        var a = new Value(1);
        var b = new Value(2);
        Value c = a * b;
        Value d = c + a;
        Value e = d * c;
        IReadOnlyList<Value> order = e.TopologicalOrder();
        Assert.Equal(5, order.Count);
        Assert.Same(e, order[^1]);
        Assert.Equal(order.Count, order.Distinct(ReferenceEqualityComparer.Instance).Count());
        var position = new Dictionary<Value, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < order.Count; i++)
        {
            position.Add(order[i], i);
        }

        foreach (Value v in order)
        {
            Assert.All(v.Children, child => Assert.True(position[child] < position[v]));
        }
    }

    [Fact]
    public void AChainOfAMillionNodesBackPropagatesWithoutStackOverflow()
    {
        // 500,000 multiplications by 1.000001 interleaved with 500,000 additions: dy/dx = 1.000001^500000.
        var x = new Value(0.5);
        Value y = x;
        for (int i = 0; i < 500_000; i++)
        {
            y = y * 1.000001 + 0.25;
        }

        Assert.Equal(1 + 4 * 500_000, y.TopologicalOrder().Count); // x, then per step: 2 constants, *, +
        y.Backward();
        double expected = Math.Pow(1.000001, 500_000);
        Assert.True(Math.Abs(x.Grad - expected) < 1e-9 * expected, $"{x.Grad:R} vs {expected:R}");

        y.ZeroGrad();
        y.BackwardByConsumers();
        Assert.True(Math.Abs(x.Grad - expected) < 1e-9 * expected, $"{x.Grad:R} vs {expected:R}");
    }

    [Fact]
    public void SharedSubgraphsAreVisitedOnceNotOncePerPath()
    {
        // x_{k+1} = x_k + x_k, 200 levels: 2^200 paths from output to input. A walk that does not
        // remember visited nodes would never finish; the topological order visits 201 nodes.
        var x = new Value(1);
        Value y = x;
        for (int i = 0; i < 200; i++)
        {
            y += y;
        }

        Assert.Equal(201, y.TopologicalOrder().Count);
        y.Backward();
        Assert.Equal(Math.Pow(2, 200), x.Grad);
        Assert.Equal(Math.Pow(2, 200), y.Data);
    }
}
