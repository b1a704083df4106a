namespace Backprop.Tests.Autograd;

using Functional = Backprop.Autograd.Functional;

/// <summary>
/// <c>Autograd.Functional</c> against PyTorch 1.13's <c>torch.autograd.functional</c> (float64 values
/// printed by jacobian, hessian, vjp, jvp and hvp for the same functions and points).
/// </summary>
public class FunctionalTests
{
    private static readonly Tensor W = Tensor.FromArray(new[] { 0.5, -1.0, 1.5, 0.25, -0.75, 2.0 }, [3, 2]);
    private static readonly Tensor B = Tensor.FromArray(new[] { 0.1, -0.2, 0.3 });
    private static readonly Tensor X = Tensor.FromArray(new[] { 0.4, -0.6 });
    private static readonly Tensor X2 = Tensor.FromArray(new[] { 0.2, -1.1, 0.7 });

    [Fact]
    public void JacobianOfAVectorFunctionMatchesPyTorch()
    {
        var jacobian = Functional.Jacobian(F1, X);
        Assert.Equal(new[] { 3, 2 }, jacobian.Shape);
        AssertClose([0.24345868057417075, -0.4869173611483415, 1.410022273209567, 0.2350037122015945, -0.2287649971555568, 0.6100399924148181], jacobian);
        Assert.False(jacobian.RequiresGrad);
        Assert.False(X.RequiresGrad);
    }

    [Fact]
    public void JacobianOfAScalarByAMatrixHasTheMatrixShape()
    {
        var m = Tensor.FromArray(new[] { 1.0, 2.0, 3.0, -1.0, 0.5, 2.0 }, [2, 3]);
        var u = Tensor.FromArray(new[] { 1.0, -1.0, 2.0 });
        var jacobian = Functional.Jacobian(x => x.Sigmoid().Matmul(u).Pow(2).Sum(), m);
        Assert.Equal(new[] { 2, 3 }, jacobian.Shape);
        AssertClose([0.6902690108465714, -0.36861352791185903, 0.3172141966327957, 0.5536891858036592, -0.6618062898040074, 0.5913558944082369], jacobian);
    }

    [Fact]
    public void HessianMatchesPyTorchAndIsSymmetric()
    {
        var hessian = Functional.Hessian(F2, X2);
        Assert.Equal(new[] { 3, 3 }, hessian.Shape);
        AssertClose(
            [0.6077653171030608, 0.019858594435132198, -0.227623911538193, 0.019858594435132194, -2.2262732037642285, 0.006414609329096064, -0.22762391153819306, 0.006414609329096075, 1.621209302209097],
            hessian);
        AssertClose(hessian.ToArray(), hessian.T);
    }

    [Fact]
    public void HessianOfATinyNetworksLossMatchesPyTorch()
    {
        var hessian = Functional.Hessian(NetworkLoss, Tensor.FromArray(new[] { 0.3, -0.2, 0.8, 0.5, 0.1, -0.1, 0.7, -0.4, 0.05 }));
        Assert.Equal(new[] { 9, 9 }, hessian.Shape);
        double[] expected =
        [
            0.13827772130557167, 0.054988942435012456, -0.1618536851367746, 0.09345285934238587, 0.23491105317586375, -0.19605409803396895, 0.19895003169426914, 0.17974158549428423, 0.5602307134520668,
            0.054988942435012456, 0.3505693947817467, 0.09345285934238587, -0.31998632072835276, 0.36391394778147956, -0.0988801891463867, -1.30638895358329, 0.22420506388238537, 0.35812240409946405,
            -0.16185368513677456, 0.09345285934238584, 0.12129106620363382, -0.14595042256234625, -0.1960540980339689, 0.1089613880242776, -0.15251222920034996, -0.014691288463142521, -0.3562087312163087,
            0.09345285934238584, -0.31998632072835276, -0.14595042256234625, -0.003781131690444233, -0.09888018914638673, -0.2833522986357805, 0.1454971675113697, -1.1132360885237762, -0.07182281658936064,
            0.23491105317586375, 0.36391394778147956, -0.19605409803396895, -0.0988801891463867, 0.6404693903926229, -0.42258755941993587, -0.7644967394735611, 0.46948899746260403, 1.2504227400922348,
            -0.1960540980339689, -0.09888018914638673, 0.1089613880242776, -0.2833522986357805, -0.42258755941993587, -0.040770166228512886, -0.14464911978723444, -0.9561989646896152, -0.6843096765966338,
            0.19895003169426909, -1.30638895358329, -0.15251222920034996, 0.1454971675113697, -0.7644967394735611, -0.14464911978723444, 0.21368179986823596, 0.0951010317381869, 0.3908444039975983,
            0.17974158549428423, 0.22420506388238537, -0.014691288463142493, -1.1132360885237762, 0.4694889974626041, -0.956198964689615, 0.09510103173818692, 0.2892258085084156, 0.7185629957802429,
            0.5602307134520668, 0.35812240409946405, -0.3562087312163087, -0.07182281658936064, 1.2504227400922345, -0.6843096765966338, 0.3908444039975983, 0.7185629957802427, 2.0,
        ];
        AssertClose(expected, hessian);
    }

    [Fact]
    public void VectorProductsMatchPyTorch()
    {
        var (output, vjp) = Functional.Vjp(F1, X, Tensor.FromArray(new[] { 1.0, -2.0, 0.5 }));
        AssertClose(F1(X).ToArray(), output);
        AssertClose([-2.690968364422742, -0.6519047893441214], vjp);

        var (_, jvp) = Functional.Jvp(F1, X, Tensor.FromArray(new[] { 0.3, -0.7 }));
        AssertClose([0.41387975697609025, 0.25850408342175396, -0.4956574938370397], jvp);

        var v = Tensor.FromArray(new[] { 1.0, 0.5, -1.5 });
        var (_, hvp) = Functional.Hvp(F2, X2, v);
        AssertClose([0.9591304816279165, -1.1028999214406263, -2.65623056018729], hvp);
        AssertClose(hvp.ToArray(), Functional.Vhp(F2, X2, v).Vhp);
    }

    [Fact]
    public void JvpEqualsTheJacobianTimesTheDirection()
    {
        var direction = Tensor.FromArray(new[] { 0.3, -0.7 });
        var expected = Functional.Jacobian(F1, X).Matmul(direction);
        AssertClose(expected.ToArray(), Functional.Jvp(F1, X, direction).Jvp);
    }

    [Fact]
    public void CreateGraphLetsTheHessianBeDifferentiatedAgain()
    {
        // f(x) = Σ x⁴/12: H = diag(x²), and d(trace H)/dx = 2x.
        var x = Tensor.FromArray(new[] { 1.0, -2.0, 0.5 }).RequiresGrad_();
        var hessian = Functional.Hessian(t => t.Pow(4).Sum() / 12.0, x, createGraph: true);
        AssertClose([1, 0, 0, 0, 4, 0, 0, 0, 0.25], hessian);
        Assert.True(hessian.RequiresGrad);
    }

    [Fact]
    public void AFunctionThatDoesNotDependOnTheInputHasZeroDerivatives()
    {
        var constant = Tensor.FromArray(new[] { 1.0, 2.0 });
        Assert.Equal(new double[4], Functional.Jacobian(_ => constant * 2.0, X).ToArray());
        Assert.Equal(new double[4], Functional.Hessian(t => t.Sum(), X).ToArray());
    }

    [Fact]
    public void BadArgumentsAreRefusedWithAMessage()
    {
        var error = Assert.Throws<ArgumentException>(() => Functional.Hessian(F1, X));
        Assert.Contains("must return a scalar", error.Message);
        error = Assert.Throws<ArgumentException>(() => Functional.Jvp(F1, X, Tensor.FromArray(new[] { 1.0, 2.0, 3.0 })));
        Assert.Contains("shape (2)", error.Message);
        error = Assert.Throws<ArgumentException>(() => Functional.Jacobian(F1, Tensor.FromArray(new long[] { 1, 2 })));
        Assert.Contains("int64", error.Message);
    }

    [Fact]
    public void CrossEntropyWithWeightsSmoothingAndIgnoredSamplesMatchesPyTorchToSecondOrder()
    {
        var x = Tensor.FromArray(new[] { 0.2, -1.0, 0.5, 1.5, 1.1, 0.3, -0.7, 0.0, -0.4, 0.9, 0.2, -1.2 }, [3, 4]);
        var w = Tensor.FromArray(new[] { 1.0, 2.0, 0.5, 1.5 });
        var v = Tensor.FromArray(new[] { 1.0, -0.5, 0.25, 0.0, 0.5, 1.0, -1.0, 2.0, -1.5, 0.5, 0.5, 1.0 }, [3, 4]);
        var labels = Tensor.FromArray(new long[] { 1, 2, 3 });
        var (_, hvp) = Functional.Hvp(z => Tensor.CrossEntropy(z, labels, weight: w, ignoreIndex: 2, labelSmoothing: 0.1), x, v);
        AssertClose(
            [0.07067934664930121, -0.018026896982666463, 0.007308095704475074, -0.059960545371109814, 0, 0, 0, 0, -0.10590538417145011, 0.056986913756056294, 0.028298863879686068, 0.02061960653570774],
            hvp);

        // Probability targets, no reduction: the forward-mode Jacobian-vector product.
        var probabilities = Tensor.FromArray(
            new[] { 0.21383822036598443, 0.23632778232153767, 0.2611825921550756, 0.28865140515740234, 0.45505423392341127, 0.16740509727844333, 0.27600434470659363, 0.1015363240915518, 0.26248959373946995, 0.26248959373946995, 0.23751040626053, 0.23751040626053 },
            [3, 4]);
        var (_, jvp) = Functional.Jvp(z => Tensor.CrossEntropy(z, probabilities, Reduction.None, weight: w, labelSmoothing: 0.2), x, v);
        AssertClose([0.22036412722106993, -0.003760890597193034, 0.017690643326843225], jvp);
    }

    private static Tensor F1(Tensor x) => (W.Matmul(x) + B).Tanh();

    private static Tensor F2(Tensor x) => (x.Softmax(0) * x.LogSoftmax(0)).Sum() + (x.Pow(3).Sum() / 3.0);

    /// <summary>A 2-2-1 tanh MLP's MSE on three points, as a function of its 9 parameters (W1, b1, W2, b2).</summary>
    private static Tensor NetworkLoss(Tensor p)
    {
        var inputs = Tensor.FromArray(new[] { 0.0, 1.0, 1.0, -1.0, 0.5, 0.5 }, [3, 2]);
        var targets = Tensor.FromArray(new[] { 1.0, 0.0, 0.5 }, [3, 1]);
        var w1 = p.Narrow(0, 0, 4).Reshape(2, 2);
        var b1 = p.Narrow(0, 4, 2);
        var w2 = p.Narrow(0, 6, 2).Reshape(1, 2);
        var b2 = p.Narrow(0, 8, 1);
        var hidden = Tensor.Linear(inputs, w1, b1).Tanh();
        return Tensor.MseLoss(Tensor.Linear(hidden, w2, b2), targets);
    }

    private static void AssertClose(double[] expected, Tensor actual)
    {
        var values = actual.ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - values[i]) <= 1e-12 + (1e-10 * Math.Abs(expected[i])), $"element {i}: expected {expected[i]:R}, got {values[i]:R}");
        }
    }
}
