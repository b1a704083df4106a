using Backprop;

namespace Backprop.Samples.SecondOrder;

/// <summary>
/// L2-regularized logistic regression on a synthetic data set, as a function of one flat parameter
/// vector w (the feature weights, then the bias) so that its Hessian is a plain matrix:
/// L(w) = mean over i of [log(1 + exp(zᵢ)) − yᵢ·zᵢ] + (α/2)·‖w‖², with zᵢ = xᵢ·w₀..d−1 + w_d.
/// log(1 + exp(z)) is the softplus, written with exp and log, whose backward passes are recorded
/// (the fused binary-cross-entropy ops cannot be differentiated twice yet); at these margins exp
/// does not overflow. The loss is strictly convex, so its Hessian is positive definite everywhere.
/// </summary>
internal sealed class LogisticRegression
{
    private readonly Tensor _inputs;  // n × (d + 1): the features and a column of ones for the bias
    private readonly Tensor _labels;  // n × 1, 0 or 1

    /// <summary>
    /// <paramref name="count"/> points with <paramref name="features"/> standard normal features,
    /// labelled 1 with probability σ(x·w_true + 0.5) for a fixed w_true = (2, −1, 0.5, …).
    /// </summary>
    public LogisticRegression(int count, int features, double alpha, Generator generator)
    {
        if (count < 1 || features < 1 || !(alpha > 0))
        {
            throw new ArgumentException($"LogisticRegression: need at least one point and one feature and α > 0, got {count}, {features}, {alpha}");
        }

        Features = features;
        Alpha = alpha;
        var scales = Tensor.FromArray(Enumerable.Range(0, features).Select(j => Math.Pow(4, j - 1)).ToArray(), 1, features);
        var x = Tensor.Randn([count, features], generator, DType.Float64) * scales;
        var truth = Tensor.FromArray(Enumerable.Range(0, features).Select(j => 2.0 * Math.Pow(-0.5, j) / Math.Pow(4, j - 1)).ToArray(), features, 1);
        var probability = (x.Matmul(truth) + 0.5).Sigmoid();
        _labels = (Tensor.Rand([count, 1], generator, DType.Float64) < probability).To(DType.Float64);
        _inputs = Tensor.Cat([x, Tensor.Ones([count, 1], DType.Float64)], dim: 1);
    }

    /// <summary>d, the number of features; the parameter vector has d + 1 elements.</summary>
    public int Features { get; }

    /// <summary>α, the weight of the L2 term.</summary>
    public double Alpha { get; }

    /// <summary>L(w) for the flat parameter vector <paramref name="w"/> (d + 1 elements), a scalar.</summary>
    public Tensor Loss(Tensor w)
    {
        var z = _inputs.Matmul(w.Reshape(Features + 1, 1));
        var logistic = ((1 + z.Exp()).Log() - (_labels * z)).Mean();
        return logistic + (Alpha / 2 * (w * w).Sum());
    }
}
