namespace Backprop;

public static partial class OpRegistry
{
    private static IEnumerable<OpInfo> CoreOps()
    {
        yield return new("add", x => x[0] + x[1], In([3, 4]), In([3, 4]));
        yield return new("add_broadcast", x => x[0] + x[1], In([2, 3, 4]), In([3, 1]));
        yield return new("add_scalar", x => x[0] + 2.5, In([3, 4]));
        yield return new("sub", x => x[0] - x[1], In([3, 4]), In([4]));
        yield return new("rsub_scalar", x => 1.5 - x[0], In([3, 4]));
        yield return new("mul", x => x[0] * x[1], In([3, 4]), In([3, 4]));
        yield return new("mul_broadcast", x => x[0] * x[1], In([4, 1]), In([1, 3]));
        yield return new("div", x => x[0] / x[1], In([3, 4]), In([3, 4], 0.5, 2));
        yield return new("div_broadcast", x => x[0] / x[1], In([2, 3]), In([3], -2, -0.5));
        yield return new("neg", x => -x[0], In([3, 4]));
        yield return new("pow", x => x[0].Pow(3), In([3, 4]));
        yield return new("pow_fractional", x => x[0].Pow(-1.5), In([3, 4], 0.5, 2));
        yield return new("exp", x => x[0].Exp(), In([3, 4]));
        yield return new("log", x => x[0].Log(), In([3, 4], 0.1, 3));
        yield return new("sqrt", x => x[0].Sqrt(), In([3, 4], 0.1, 3));
        yield return new("abs", x => x[0].Abs(), In([3, 4]));
        yield return new("clamp", x => x[0].Clamp(-1, 1), In([3, 4]));
        yield return new("clamp_min", x => x[0].Clamp(min: 0.5), In([3, 4]));
        yield return new("clone", x => x[0].Clone() * x[0], In([3, 4]));
        yield return new("sum", x => x[0].Sum(), In([3, 4]));
        yield return new("sum_dim", x => x[0].Sum(1), In([2, 3, 4]));
        yield return new("sum_dims_keepdim", x => x[0].Sum([0, 2], keepDim: true), In([2, 3, 4]));
        yield return new("mean", x => x[0].Mean(), In([3, 4]));
        yield return new("mean_dim", x => x[0].Mean(-1, keepDim: true), In([2, 3, 4]));
        yield return new("max", x => x[0].Max(), In([3, 4]));
        yield return new("max_dim", x => x[0].Max(1).Values, In([2, 3, 4]));
        yield return new("min_dim", x => x[0].Min(0, keepDim: true).Values, In([3, 4]));
        yield return new("matmul", x => x[0].Matmul(x[1]), In([3, 4]), In([4, 2]));
        yield return new("linear", x => Tensor.Linear(x[0], x[1], x[2]), In([5, 4]), In([3, 4]), In([3]));
        yield return new("linear_no_bias_3d", x => Tensor.Linear(x[0], x[1]), In([2, 3, 4]), In([2, 4]));
        yield return new("matmul_batched", x => x[0].Matmul(x[1]), In([2, 3, 4]), In([2, 4, 2]));
        yield return new("matmul_broadcast", x => x[0].Matmul(x[1]), In([2, 3, 4]), In([4, 2]));
        yield return new("matmul_vector", x => x[0].Matmul(x[1]), In([3, 4]), In([4]));
        yield return new("matmul_vector_left", x => x[0].Matmul(x[1]), In([4]), In([2, 4, 3]));
    }
}
