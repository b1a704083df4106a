using Backprop.Scalar;
using static Backprop.Tests.Scalar.ScalarGradientAssert;

namespace Backprop.Tests.Scalar;

public class TapeTests
{
    /// <summary>The two engines add a node's gradient contributions in different orders (depth-first vs recording order), so the last bits may differ.</summary>
    private static void AssertSameNumber(double value, double tape, string what) =>
        Assert.True(value == tape || Math.Abs(value - tape) <= 1e-12 * Math.Max(Math.Abs(value), Math.Abs(tape)),
            $"{what}: Value gives {value:R}, Tape gives {tape:R}");

    private static Func<Var, Var> UnaryOp(string name) => name switch
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

    private static double Evaluate(Func<Var, Var> f, double x) => f(new Tape().Leaf(x)).Data;

    [Theory]
    [MemberData(nameof(ValueTests.UnaryCases), MemberType = typeof(ValueTests))]
    public void UnaryDerivativeMatchesCentralDifference(string op, double x)
    {
        Func<Var, Var> f = UnaryOp(op);
        Var a = new Tape().Leaf(x);
        f(a).Backward();
        AssertGradClose(CentralDifference(t => Evaluate(f, t), x), a.Grad);
    }

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
        Func<Var, Var, Var> f = op switch
        {
            "+" => (a, b) => a + b,
            "-" => (a, b) => a - b,
            "*" => (a, b) => a * b,
            _ => (a, b) => a / b,
        };
        double At(double u, double v)
        {
            var tape = new Tape();
            return f(tape.Leaf(u), tape.Leaf(v)).Data;
        }

        var tape = new Tape();
        Var a = tape.Leaf(x);
        Var b = tape.Leaf(y);
        f(a, b).Backward();
        AssertGradClose(CentralDifference(t => At(t, y), x), a.Grad);
        AssertGradClose(CentralDifference(t => At(x, t), y), b.Grad);
    }

    [Theory]
    [MemberData(nameof(ValueTests.UnaryCases), MemberType = typeof(ValueTests))]
    public void EveryOpGivesTheValueEnginesNumbersBitForBit(string op, double x)
    {
        // A unary op is a chain, where both engines add the same terms in the same order.
        Func<Var, Var> f = UnaryOp(op);
        Var a = new Tape().Leaf(x);
        Var fa = f(a);
        fa.Backward();

        var v = new Value(x);
        Value fv = op switch
        {
            "neg" => -v,
            "pow2" => v.Pow(2),
            "pow3" => v.Pow(3),
            "pow-1" => v.Pow(-1),
            "pow0.5" => v.Pow(0.5),
            "exp" => v.Exp(),
            "log" => v.Log(),
            "tanh" => v.Tanh(),
            "sigmoid" => v.Sigmoid(),
            "relu" => v.Relu(),
            "a+2.5" => v + 2.5,
            "2.5+a" => 2.5 + v,
            "a-2.5" => v - 2.5,
            "2.5-a" => 2.5 - v,
            "a*2.5" => v * 2.5,
            "2.5*a" => 2.5 * v,
            "a/2.5" => v / 2.5,
            "2.5/a" => 2.5 / v,
            _ => throw new ArgumentException(op),
        };
        fv.Backward();
        Assert.Equal(BitConverter.DoubleToInt64Bits(fv.Data), BitConverter.DoubleToInt64Bits(fa.Data));
        Assert.Equal(BitConverter.DoubleToInt64Bits(v.Grad), BitConverter.DoubleToInt64Bits(a.Grad));
    }

    [Fact]
    public void RecordsOneNodePerPrimitiveWithItsOp()
    {
        var tape = new Tape();
        Var a = tape.Leaf(2);
        Var b = tape.Leaf(-3);
        Assert.Equal(2, tape.Count);
        Assert.Equal(TapeOp.Leaf, a.Op);
        Assert.Equal(TapeOp.Mul, (a * b).Op);
        Assert.Equal(TapeOp.Add, (a + b).Op);
        Assert.Equal(4, tape.Count);
        Assert.Equal(TapeOp.Add, (a - b).Op);
        Assert.Equal(7, tape.Count); // a − b = a + b·(−1): a constant leaf, a product and a sum
        Assert.Equal(TapeOp.Pow, a.Pow(2).Op);
        Assert.Equal(TapeOp.Exp, a.Exp().Op);
        Assert.Equal(TapeOp.Log, a.Log().Op);
        Assert.Equal(TapeOp.Tanh, a.Tanh().Op);
        Assert.Equal(TapeOp.Sigmoid, a.Sigmoid().Op);
        Assert.Equal(TapeOp.Relu, b.Relu().Op);
        Assert.Equal(13, tape.Count);
        Assert.Equal("Var(data=2, grad=0)", a.ToString());
    }

    [Theory]
    [InlineData(2.0, -3.0, 10.0)]
    [InlineData(-0.5, 4.25, 1.0)]
    public void ProductPlusSum(double av, double bv, double cv)
    {
        var tape = new Tape();
        Var a = tape.Leaf(av), b = tape.Leaf(bv), c = tape.Leaf(cv);
        Var f = a * b + c;
        f.Backward();
        Assert.Equal(av * bv + cv, f.Data);
        Assert.Equal(bv, a.Grad);
        Assert.Equal(av, b.Grad);
        Assert.Equal(1.0, c.Grad);
    }

    [Fact]
    public void ThreeWeightGraph()
    {
        var tape = new Tape();
        Var w1 = tape.Leaf(3), w2 = tape.Leaf(4), w3 = tape.Leaf(5);
        Var z = (w2 + -2 * w1) * w3;
        Var loss = 10 - z;
        Assert.Equal(-10.0, z.Data);
        Assert.Equal(20.0, loss.Data);

        z.Backward();
        Assert.Equal(-10.0, w1.Grad);
        Assert.Equal(5.0, w2.Grad);
        Assert.Equal(-2.0, w3.Grad);

        // Backward from the loss, recorded after z: ∂loss/∂w = −∂z/∂w.
        tape.ZeroGrad();
        loss.Backward();
        Assert.Equal(10.0, w1.Grad);
        Assert.Equal(-5.0, w2.Grad);
        Assert.Equal(2.0, w3.Grad);
    }

    [Fact]
    public void MatchesMicrogradSanityCheckAndReadmeExample()
    {
        var tape = new Tape();
        Var x = tape.Leaf(-4.0);
        Var z = 2 * x + 2 + x;
        Var q = z.Relu() + z * x;
        Var h = (z * z).Relu();
        Var y = h + q + q * x;
        y.Backward();
        Assert.Equal(-20.0, y.Data);
        Assert.Equal(46.0, x.Grad);

        Var a = tape.Leaf(-4.0);
        Var b = tape.Leaf(2.0);
        Var c = a + b;
        Var d = a * b + b.Pow(3);
        c += c + 1;
        c += 1 + c + (-a);
        d += d * 2 + (b + a).Relu();
        d += 3 * d + (b - a).Relu();
        Var e = c - d;
        Var f = e.Pow(2);
        Var g = f / 2.0;
        g += 10.0 / f;
        g.Backward();
        Assert.Equal(24.7041, Math.Round(g.Data, 4));
        Assert.Equal(138.8338, Math.Round(a.Grad, 4));
        Assert.Equal(645.5773, Math.Round(b.Grad, 4));
        Assert.Equal(46.0, x.Grad); // recorded before a and b, unreachable from g: untouched
    }

    [Fact]
    public void MazurNetworkStepMatchesTheValueEngineAndTheWorkedExample()
    {
        double[] initial = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55];
        const double X1 = 0.05, X2 = 0.10, T1 = 0.01, T2 = 0.99;

        var tape = new Tape();
        Var[] w = initial.Select(tape.Leaf).ToArray();
        Var b1 = tape.Leaf(0.35), b2 = tape.Leaf(0.60);
        Var th1 = (w[0] * X1 + w[1] * X2 + b1).Sigmoid();
        Var th2 = (w[2] * X1 + w[3] * X2 + b1).Sigmoid();
        Var to1 = (w[4] * th1 + w[5] * th2 + b2).Sigmoid();
        Var to2 = (w[6] * th1 + w[7] * th2 + b2).Sigmoid();
        Var te = 0.5 * ((T1 - to1).Pow(2) + (T2 - to2).Pow(2));
        te.Backward();

        Value[] v = initial.Select(d => new Value(d)).ToArray();
        Value vb1 = 0.35, vb2 = 0.60;
        Value vh1 = (v[0] * X1 + v[1] * X2 + vb1).Sigmoid();
        Value vh2 = (v[2] * X1 + v[3] * X2 + vb1).Sigmoid();
        Value vo1 = (v[4] * vh1 + v[5] * vh2 + vb2).Sigmoid();
        Value vo2 = (v[6] * vh1 + v[7] * vh2 + vb2).Sigmoid();
        Value ve = 0.5 * ((T1 - vo1).Pow(2) + (T2 - vo2).Pow(2));
        ve.Backward();

        Assert.True(Math.Abs(te.Data - 0.298371109) < 5e-10, $"E = {te.Data:R}");
        AssertSameNumber(ve.Data, te.Data, "E");
        AssertSameNumber(vb1.Grad, b1.Grad, "∂E/∂b1");
        double[] expected = [0.149780716, 0.199561432, 0.249751144, 0.299502287,
            0.358916480, 0.408666186, 0.511301270, 0.561370121];
        for (int i = 0; i < 8; i++)
        {
            AssertSameNumber(v[i].Grad, w[i].Grad, $"∂E/∂w{i + 1}");
            w[i].Data -= 0.5 * w[i].Grad;
            Assert.True(Math.Abs(w[i].Data - expected[i]) < 5e-10, $"w{i + 1} = {w[i].Data:R}, expected {expected[i]}");
        }
    }

    /// <summary>One instruction of a random program: an operation on two earlier nodes P and Q.</summary>
    private readonly record struct Instruction(int Kind, int P, int Q);

    private const int Kinds = 12;

    private static Instruction[] RandomProgram(int leaves, int length, int seed)
    {
        var random = new Random(seed);
        var program = new Instruction[length];
        for (int i = 0; i < length; i++)
        {
            program[i] = new(random.Next(Kinds), random.Next(leaves + i), random.Next(leaves + i));
        }

        return program;
    }

    // The same random program on both engines: every op, constants on either side, heavy fan-out.
    // Inputs stay bounded (tanh, sigmoid, 1 + q²) so that no value overflows over 400 instructions.
    private static Value Apply(Instruction s, Value p, Value q) => s.Kind switch
    {
        0 => p + q,
        1 => (p * q).Tanh(),
        2 => p.Sigmoid() - q,
        3 => (p * 0.5).Tanh() * q.Sigmoid(),
        4 => p / (1 + q * q),
        5 => (p * p + 1).Log() + q.Relu(),
        6 => p.Tanh().Exp() - 2.5,
        7 => (q.Sigmoid() + 0.5).Pow(1.5) * p.Tanh(),
        8 => -p + 0.25 * q,
        9 => 3 / (2 + p.Tanh()),
        10 => p.Tanh() * p.Sigmoid(),
        _ => (1 - q.Tanh()).Pow(2) / 4,
    };

    private static Var Apply(Instruction s, Var p, Var q) => s.Kind switch
    {
        0 => p + q,
        1 => (p * q).Tanh(),
        2 => p.Sigmoid() - q,
        3 => (p * 0.5).Tanh() * q.Sigmoid(),
        4 => p / (1 + q * q),
        5 => (p * p + 1).Log() + q.Relu(),
        6 => p.Tanh().Exp() - 2.5,
        7 => (q.Sigmoid() + 0.5).Pow(1.5) * p.Tanh(),
        8 => -p + 0.25 * q,
        9 => 3 / (2 + p.Tanh()),
        10 => p.Tanh() * p.Sigmoid(),
        _ => (1 - q.Tanh()).Pow(2) / 4,
    };

    private static (Var[] Nodes, Var Output) RunOnTape(Tape tape, double[] leaves, Instruction[] program)
    {
        var nodes = leaves.Select(tape.Leaf).ToList();
        foreach (var s in program)
        {
            nodes.Add(Apply(s, nodes[s.P], nodes[s.Q]));
        }

        Var output = nodes[^1];
        for (int i = 2; i <= 30; i++)
        {
            output += nodes[^i];
        }

        return (nodes.ToArray(), output);
    }

    private static (Value[] Nodes, Value Output) RunOnValues(double[] leaves, Instruction[] program)
    {
        var nodes = leaves.Select(d => new Value(d)).ToList();
        foreach (var s in program)
        {
            nodes.Add(Apply(s, nodes[s.P], nodes[s.Q]));
        }

        Value output = nodes[^1];
        for (int i = 2; i <= 30; i++)
        {
            output += nodes[^i];
        }

        return (nodes.ToArray(), output);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomExpressionGivesTheValueEnginesValuesAndGradients(int seed)
    {
        double[] leaves = [0.3, -0.8, 1.1, 0.05, -1.6, 2.2];
        Instruction[] program = RandomProgram(leaves.Length, 400, seed);
        Assert.Equal(Kinds, program.Select(s => s.Kind).Distinct().Count()); // every kind is exercised

        var (values, valueOutput) = RunOnValues(leaves, program);
        valueOutput.Backward();
        var tape = new Tape(capacity: 1); // also exercises growing
        var (vars, varOutput) = RunOnTape(tape, leaves, program);
        varOutput.Backward();

        AssertSameNumber(valueOutput.Data, varOutput.Data, "output");
        Assert.Contains(values, v => v.Grad != 0 && v.Grad != 1);
        for (int i = 0; i < values.Length; i++)
        {
            AssertSameNumber(values[i].Data, vars[i].Data, $"node {i}");
            AssertSameNumber(values[i].Grad, vars[i].Grad, $"gradient of node {i}");
        }

        // And the tape's gradients are the true ones.
        for (int k = 0; k < leaves.Length; k++)
        {
            double numeric = CentralDifference(t =>
            {
                double[] shifted = (double[])leaves.Clone();
                shifted[k] = t;
                return RunOnTape(new Tape(), shifted, program).Output.Data;
            }, leaves[k]);
            AssertGradClose(numeric, vars[k].Grad);
        }
    }

    [Fact]
    public void RandomMlpGivesTheValueEnginesLossAndGradients()
    {
        // 3 → 8 (tanh) → 8 (sigmoid) → 2, squared error over 10 random points.
        var random = new Random(11);
        int[] sizes = [3, 8, 8, 2];
        double[][] weights = [.. Enumerable.Range(0, 3).Select(l =>
            Enumerable.Range(0, (sizes[l] + 1) * sizes[l + 1]).Select(_ => random.NextDouble() * 2 - 1).ToArray())];
        double[][] points = [.. Enumerable.Range(0, 10).Select(_ => Enumerable.Range(0, 5).Select(_ => random.NextDouble() * 2 - 1).ToArray())];

        var tape = new Tape();
        Var[][] tw = weights.Select(l => l.Select(tape.Leaf).ToArray()).ToArray();
        Value[][] vw = weights.Select(l => l.Select(d => new Value(d)).ToArray()).ToArray();
        Var tloss = tape.Leaf(0);
        Value vloss = 0;
        foreach (double[] point in points)
        {
            Var[] ta = point[..3].Select(tape.Leaf).ToArray();
            Value[] va = point[..3].Select(d => new Value(d)).ToArray();
            for (int l = 0; l < 3; l++)
            {
                var tnext = new Var[sizes[l + 1]];
                var vnext = new Value[sizes[l + 1]];
                for (int n = 0; n < tnext.Length; n++)
                {
                    int row = n * (sizes[l] + 1);
                    Var ts = tw[l][row + sizes[l]];
                    Value vs = vw[l][row + sizes[l]];
                    for (int i = 0; i < sizes[l]; i++)
                    {
                        ts += tw[l][row + i] * ta[i];
                        vs += vw[l][row + i] * va[i];
                    }

                    (tnext[n], vnext[n]) = l switch { 0 => (ts.Tanh(), vs.Tanh()), 1 => (ts.Sigmoid(), vs.Sigmoid()), _ => (ts, vs) };
                }

                (ta, va) = (tnext, vnext);
            }

            for (int j = 0; j < 2; j++)
            {
                tloss += (ta[j] - point[3 + j]).Pow(2);
                vloss += (va[j] - point[3 + j]).Pow(2);
            }
        }

        tloss /= points.Length;
        vloss /= points.Length;
        tloss.Backward();
        vloss.Backward();
        AssertSameNumber(vloss.Data, tloss.Data, "loss");
        for (int l = 0; l < 3; l++)
        {
            for (int i = 0; i < weights[l].Length; i++)
            {
                Assert.NotEqual(0.0, tw[l][i].Grad);
                AssertSameNumber(vw[l][i].Grad, tw[l][i].Grad, $"gradient of layer {l} weight {i}");
            }
        }
    }

    [Fact]
    public void ANodeUsedSeveralTimesGetsTheSumOfItsPaths()
    {
        var tape = new Tape();
        Var a = tape.Leaf(3);
        Var b = a + a;
        Var f = a * a + a * b; // 3a², df/da = 6a; df/db (b held) = a
        f.Backward();
        Assert.Equal(27.0, f.Data);
        Assert.Equal(18.0, a.Grad);
        Assert.Equal(3.0, b.Grad);
        Assert.Equal(1.0, f.Grad);
    }

    [Fact]
    public void GradientsAccumulateAcrossCallsUntilZeroGrad()
    {
        var tape = new Tape();
        Var a = tape.Leaf(2);
        Var b = tape.Leaf(-3);
        Var m = a * b;
        Var f = m + a.Tanh();
        f.Backward();
        double once = a.Grad;
        f.Backward();
        Assert.Equal(2 * once, a.Grad); // added once more, not re-propagated from accumulated grads
        Assert.Equal(4.0, b.Grad);
        Assert.Equal(2.0, m.Grad);

        tape.ZeroGrad();
        Assert.Equal(0.0, a.Grad);
        Assert.Equal(0.0, m.Grad);
        f.Backward();
        Assert.Equal(once, a.Grad);
    }

    [Fact]
    public void SigmoidIsStableForLargeInputsAndLogRejectsNonPositives()
    {
        var tape = new Tape();
        Var big = tape.Leaf(1000), small = tape.Leaf(-1000);
        Var s = big.Sigmoid() + small.Sigmoid();
        s.Backward();
        Assert.Equal(1.0, s.Data);
        Assert.Equal(0.0, big.Grad);
        Assert.Equal(0.0, small.Grad);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => tape.Leaf(-2.5).Log());
        Assert.Equal(-2.5, ex.ActualValue);
        Assert.Contains("-2.5", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => tape.Leaf(0).Log());
    }

    [Fact]
    public void RewindKeepsTheParametersAndRecordsTheNextStepWithoutAllocating()
    {
        var tape = new Tape(capacity: 4);
        Var w = tape.Leaf(0.5);
        Var c = tape.Leaf(2);
        int parameters = tape.Count;
        double Step()
        {
            tape.Rewind(parameters);
            Var loss = tape.Leaf(0);
            for (int i = 0; i < 100; i++)
            {
                loss += (w * i - c).Tanh().Pow(2);
            }

            w.Grad = 0;
            c.Grad = 0;
            loss.Backward();
            w.Data -= 1e-3 * w.Grad;
            return loss.Data;
        }

        double first = Step(); // grows the arrays
        Assert.Equal(parameters + 1 + (100 * 8), tape.Count); // per term: w·i (2 nodes), −c (2), +, tanh, pow, +=
        var allocated = new List<long>();
        double second = 0;
        for (int i = 0; i < 4; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            second = Step();
            allocated.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        // One clean step proves that recording allocates nothing (the runtime may allocate a few KB
        // on this thread now and then, see MicrogradStepTests); the Lists above are allocated outside.
        Assert.Contains(0L, allocated);
        Assert.True(second < first, $"{second} ≥ {first}");
        Assert.Equal(2.0, c.Data); // kept across rewinds
        Assert.NotEqual(0.0, c.Grad);
    }

    [Fact]
    public void RewindOutOfRangeAndDroppedVarsThrowClearly()
    {
        var tape = new Tape();
        Var a = tape.Leaf(1);
        Var b = a * 2;
        Assert.Equal(3, tape.Count);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => tape.Rewind(4));
        Assert.Contains("0 to 3", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => tape.Rewind(-1));

        tape.Rewind(1);
        Assert.Equal(1.0, a.Data);
        var dropped = Assert.Throws<InvalidOperationException>(() => b.Data);
        Assert.Contains("Rewind", dropped.Message);
        Assert.Throws<InvalidOperationException>(() => b.Backward());
        Assert.Throws<InvalidOperationException>(() => a + b);

        tape.Rewind(0);
        Assert.Equal(0, tape.Count);
        Assert.Throws<InvalidOperationException>(() => a.Grad);
    }

    [Fact]
    public void MixingTapesOrUsingADefaultVarThrows()
    {
        Var a = new Tape().Leaf(1);
        Var b = new Tape().Leaf(2);
        var ex = Assert.Throws<ArgumentException>(() => a * b);
        Assert.Contains("different tapes", ex.Message);
        Assert.Throws<ArgumentException>(() => a + b);

        Var none = default;
        var noTape = Assert.Throws<InvalidOperationException>(() => none.Data);
        Assert.Contains("default(Var)", noTape.Message);
        Assert.Throws<InvalidOperationException>(() => a + none);
        Assert.Throws<InvalidOperationException>(() => none * 2);
        Assert.Equal("Var(default)", none.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Tape(0));
    }

    [Fact]
    public void AChainOfAMillionNodesBackPropagates()
    {
        var tape = new Tape();
        Var x = tape.Leaf(0.5);
        Var y = x;
        for (int i = 0; i < 500_000; i++)
        {
            y = y * 1.000001 + 0.25;
        }

        Assert.Equal(1 + 4 * 500_000, tape.Count);
        y.Backward();
        double expected = Math.Pow(1.000001, 500_000);
        Assert.True(Math.Abs(x.Grad - expected) < 1e-9 * expected, $"{x.Grad:R} vs {expected:R}");
    }
}
