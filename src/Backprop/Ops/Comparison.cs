using System.Numerics;
using Backprop.Kernels;

namespace Backprop;

// eq, ne, lt, le, gt, ge, argmax, argmin: piecewise constant, so none records a gradient.
/// <summary>
/// Comparisons of <see cref="Tensor"/> (eq, ne, lt, le, gt, ge) and argmax, argmin: piecewise constant, so none records a gradient.
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class ComparisonOps
{
    extension(Tensor)
    {
        /// <summary>a &gt; b elementwise as 0/1 (<c>a &gt; b</c> on torch tensors); see <c>Gt</c>.</summary>
        /// <param name="a">The left operand.</param>
        /// <param name="b">The right operand, broadcast against <paramref name="a"/>.</param>
        /// <returns>A new tensor of the broadcast shape, 1 where true and 0 elsewhere: int64 for two int64 inputs, else the float dtype.</returns>
        public static Tensor operator >(Tensor a, Tensor b) => a.Gt(b);

        /// <summary>a &lt; b elementwise as 0/1 (<c>a &lt; b</c> on torch tensors); see <c>Lt</c>.</summary>
        /// <param name="a">The left operand.</param>
        /// <param name="b">The right operand, broadcast against <paramref name="a"/>.</param>
        /// <returns>A new tensor of the broadcast shape, 1 where true and 0 elsewhere: int64 for two int64 inputs, else the float dtype.</returns>
        public static Tensor operator <(Tensor a, Tensor b) => a.Lt(b);

        /// <summary>a ≥ b elementwise as 0/1 (<c>a &gt;= b</c> on torch tensors).</summary>
        /// <param name="a">The left operand.</param>
        /// <param name="b">The right operand, broadcast against <paramref name="a"/>.</param>
        /// <returns>A new tensor of the broadcast shape, 1 where true and 0 elsewhere: int64 for two int64 inputs, else the float dtype.</returns>
        public static Tensor operator >=(Tensor a, Tensor b) => a.Ge(b);

        /// <summary>a ≤ b elementwise as 0/1 (<c>a &lt;= b</c> on torch tensors).</summary>
        /// <param name="a">The left operand.</param>
        /// <param name="b">The right operand, broadcast against <paramref name="a"/>.</param>
        /// <returns>A new tensor of the broadcast shape, 1 where true and 0 elsewhere: int64 for two int64 inputs, else the float dtype.</returns>
        public static Tensor operator <=(Tensor a, Tensor b) => a.Le(b);

        /// <summary>a &gt; value elementwise as 0/1.</summary>
        /// <param name="a">The tensor compared.</param>
        /// <param name="value">The number every element is compared with.</param>
        /// <returns>A new tensor of a's shape and dtype, 1 where true and 0 elsewhere (float32 for int64 and a fractional value).</returns>
        public static Tensor operator >(Tensor a, double value) => a.Gt(value);

        /// <summary>a &lt; value elementwise as 0/1.</summary>
        /// <param name="a">The tensor compared.</param>
        /// <param name="value">The number every element is compared with.</param>
        /// <returns>A new tensor of a's shape and dtype, 1 where true and 0 elsewhere (float32 for int64 and a fractional value).</returns>
        public static Tensor operator <(Tensor a, double value) => a.Lt(value);

        /// <summary>a ≥ value elementwise as 0/1.</summary>
        /// <param name="a">The tensor compared.</param>
        /// <param name="value">The number every element is compared with.</param>
        /// <returns>A new tensor of a's shape and dtype, 1 where true and 0 elsewhere (float32 for int64 and a fractional value).</returns>
        public static Tensor operator >=(Tensor a, double value) => a.Ge(value);

        /// <summary>a ≤ value elementwise as 0/1.</summary>
        /// <param name="a">The tensor compared.</param>
        /// <param name="value">The number every element is compared with.</param>
        /// <returns>A new tensor of a's shape and dtype, 1 where true and 0 elsewhere (float32 for int64 and a fractional value).</returns>
        public static Tensor operator <=(Tensor a, double value) => a.Le(value);

        /// <summary>value &gt; b elementwise as 0/1 (b &lt; value).</summary>
        /// <param name="value">The number compared with every element.</param>
        /// <param name="b">The tensor compared.</param>
        /// <returns>A new tensor of b's shape and dtype, 1 where true and 0 elsewhere (float32 for int64 and a fractional value).</returns>
        public static Tensor operator >(double value, Tensor b) => b.Lt(value);

        /// <summary>value &lt; b elementwise as 0/1 (b &gt; value).</summary>
        /// <param name="value">The number compared with every element.</param>
        /// <param name="b">The tensor compared.</param>
        /// <returns>A new tensor of b's shape and dtype, 1 where true and 0 elsewhere (float32 for int64 and a fractional value).</returns>
        public static Tensor operator <(double value, Tensor b) => b.Gt(value);

        /// <summary>value ≥ b elementwise as 0/1 (b ≤ value).</summary>
        /// <param name="value">The number compared with every element.</param>
        /// <param name="b">The tensor compared.</param>
        /// <returns>A new tensor of b's shape and dtype, 1 where true and 0 elsewhere (float32 for int64 and a fractional value).</returns>
        public static Tensor operator >=(double value, Tensor b) => b.Le(value);

        /// <summary>value ≤ b elementwise as 0/1 (b ≥ value).</summary>
        /// <param name="value">The number compared with every element.</param>
        /// <param name="b">The tensor compared.</param>
        /// <returns>A new tensor of b's shape and dtype, 1 where true and 0 elsewhere (float32 for int64 and a fractional value).</returns>
        public static Tensor operator <=(double value, Tensor b) => b.Ge(value);
    }

    extension(Tensor self)
    {
        /// <summary>
        /// a == b elementwise with broadcasting (<c>torch.eq</c>), as 0/1 in the inputs' dtype: float for
        /// float inputs, int64 for two int64 tensors (compared exactly), float when one is int64 and the
        /// other float (promoted, as PyTorch does). PyTorch returns bool; there is no bool dtype here, so
        /// <c>logits.ArgMax(1).Eq(labels).Float().Mean()</c> is the accuracy. Not differentiable: never recorded.
        /// </summary>
        /// <param name="other">The tensor compared with, broadcast against this one; same dtype.</param>
        /// <returns>A new tensor of the broadcast shape, 1 where equal and 0 elsewhere: int64 for two int64 inputs, else the float dtype.</returns>
        public Tensor Eq(Tensor other) => self.Compare("eq", other, default(EqualTest));

        /// <summary>a == value elementwise (<c>torch.eq</c> with a scalar), as 0/1. Not differentiable.</summary>
        /// <param name="value">The number every element is compared with, converted to this tensor's dtype.</param>
        /// <returns>A new tensor of this one's shape and dtype, 1 where equal and 0 elsewhere (float32 for int64 and a fractional value).</returns>
        public Tensor Eq(double value) => self.Compare("eq", ScalarFor(self, value), default(EqualTest));

        /// <summary>a ≠ b elementwise with broadcasting (<c>torch.ne</c>), as 0/1 (PyTorch: bool). Not differentiable.</summary>
        /// <param name="other">The tensor compared with, broadcast against this one; same dtype.</param>
        /// <returns>A new tensor of the broadcast shape, 1 where different and 0 elsewhere: int64 for two int64 inputs, else the float dtype.</returns>
        public Tensor Ne(Tensor other) => self.Compare("ne", other, default(NotEqualTest));

        /// <summary>a ≠ value elementwise (<c>torch.ne</c> with a scalar), as 0/1. Not differentiable.</summary>
        /// <param name="value">The number every element is compared with, converted to this tensor's dtype.</param>
        /// <returns>A new tensor of this one's shape and dtype, 1 where different and 0 elsewhere (float32 for int64 and a fractional value).</returns>
        public Tensor Ne(double value) => self.Compare("ne", ScalarFor(self, value), default(NotEqualTest));

        /// <summary>a &lt; b elementwise with broadcasting (<c>torch.lt</c>), as 0/1 (PyTorch: bool). Not differentiable.</summary>
        /// <param name="other">The tensor compared with, broadcast against this one; same dtype.</param>
        /// <returns>A new tensor of the broadcast shape, 1 where true and 0 elsewhere: int64 for two int64 inputs, else the float dtype.</returns>
        public Tensor Lt(Tensor other) => self.Compare("lt", other, default(LessTest));

        /// <summary>a &lt; value elementwise (<c>torch.lt</c> with a scalar), as 0/1. Not differentiable.</summary>
        /// <param name="value">The number every element is compared with, converted to this tensor's dtype.</param>
        /// <returns>A new tensor of this one's shape and dtype, 1 where true and 0 elsewhere (float32 for int64 and a fractional value).</returns>
        public Tensor Lt(double value) => self.Compare("lt", ScalarFor(self, value), default(LessTest));

        /// <summary>a ≤ b elementwise with broadcasting (<c>torch.le</c>), as 0/1 (PyTorch: bool). Not differentiable.</summary>
        /// <param name="other">The tensor compared with, broadcast against this one; same dtype.</param>
        /// <returns>A new tensor of the broadcast shape, 1 where true and 0 elsewhere: int64 for two int64 inputs, else the float dtype.</returns>
        public Tensor Le(Tensor other) => self.Compare("le", other, default(LessOrEqualTest));

        /// <summary>a ≤ value elementwise (<c>torch.le</c> with a scalar), as 0/1. Not differentiable.</summary>
        /// <param name="value">The number every element is compared with, converted to this tensor's dtype.</param>
        /// <returns>A new tensor of this one's shape and dtype, 1 where true and 0 elsewhere (float32 for int64 and a fractional value).</returns>
        public Tensor Le(double value) => self.Compare("le", ScalarFor(self, value), default(LessOrEqualTest));

        /// <summary>a &gt; b elementwise with broadcasting (<c>torch.gt</c>), as 0/1 (PyTorch: bool). Not differentiable.</summary>
        /// <param name="other">The tensor compared with, broadcast against this one; same dtype.</param>
        /// <returns>A new tensor of the broadcast shape, 1 where true and 0 elsewhere: int64 for two int64 inputs, else the float dtype.</returns>
        public Tensor Gt(Tensor other) => self.Compare("gt", other, default(GreaterTest));

        /// <summary>a &gt; value elementwise (<c>torch.gt</c> with a scalar), as 0/1. Not differentiable.</summary>
        /// <param name="value">The number every element is compared with, converted to this tensor's dtype.</param>
        /// <returns>A new tensor of this one's shape and dtype, 1 where true and 0 elsewhere (float32 for int64 and a fractional value).</returns>
        public Tensor Gt(double value) => self.Compare("gt", ScalarFor(self, value), default(GreaterTest));

        /// <summary>a ≥ b elementwise with broadcasting (<c>torch.ge</c>), as 0/1 (PyTorch: bool). Not differentiable.</summary>
        /// <param name="other">The tensor compared with, broadcast against this one; same dtype.</param>
        /// <returns>A new tensor of the broadcast shape, 1 where true and 0 elsewhere: int64 for two int64 inputs, else the float dtype.</returns>
        public Tensor Ge(Tensor other) => self.Compare("ge", other, default(GreaterOrEqualTest));

        /// <summary>a ≥ value elementwise (<c>torch.ge</c> with a scalar), as 0/1. Not differentiable.</summary>
        /// <param name="value">The number every element is compared with, converted to this tensor's dtype.</param>
        /// <returns>A new tensor of this one's shape and dtype, 1 where true and 0 elsewhere (float32 for int64 and a fractional value).</returns>
        public Tensor Ge(double value) => self.Compare("ge", ScalarFor(self, value), default(GreaterOrEqualTest));

        /// <summary>
        /// Int64 index of the largest element along <paramref name="dim"/>, or of the flattened tensor
        /// as a rank-0 tensor when dim is null (<c>torch.argmax</c>); the first maximal index wins and
        /// NaN counts as largest. Works for every dtype. Not differentiable.
        /// </summary>
        /// <param name="dim">The dim searched along (negative counts from the end); null for the flattened tensor.</param>
        /// <param name="keepDim">Whether the searched dim stays in the result with size 1 (PyTorch's <c>keepdim</c>); with <paramref name="dim"/> null, every dim kept with size 1.</param>
        /// <returns>A new int64 tensor of this one's shape without <paramref name="dim"/> (size 1 with <paramref name="keepDim"/>); rank 0 when dim is null (all dims of size 1 with keepDim).</returns>
        public Tensor ArgMax(int? dim = null, bool keepDim = false) => self.ArgExtreme("argmax", dim, keepDim, max: true);

        /// <summary>
        /// Int64 index of the smallest element along <paramref name="dim"/>, or of the flattened tensor
        /// when dim is null (<c>torch.argmin</c>); the first minimal index wins and NaN counts as smallest.
        /// Not differentiable.
        /// </summary>
        /// <param name="dim">The dim searched along (negative counts from the end); null for the flattened tensor.</param>
        /// <param name="keepDim">Whether the searched dim stays in the result with size 1 (PyTorch's <c>keepdim</c>); with <paramref name="dim"/> null, every dim kept with size 1.</param>
        /// <returns>A new int64 tensor of this one's shape without <paramref name="dim"/> (size 1 with <paramref name="keepDim"/>); rank 0 when dim is null (all dims of size 1 with keepDim).</returns>
        public Tensor ArgMin(int? dim = null, bool keepDim = false) => self.ArgExtreme("argmin", dim, keepDim, max: false);

        private Tensor Compare<TTest>(string op, Tensor other, TTest test)
            where TTest : struct, IComparisonTest
        {
            ArgumentNullException.ThrowIfNull(other);
            if (self.DType == DType.Int64 && other.DType == DType.Int64)
            {
                return CompareInt64(op, self, other, test);
            }

            // An int64 tensor compared with a float one is promoted to the float dtype, as PyTorch does.
            var a = self.DType == DType.Int64 ? self.To(other.DType) : self;
            var b = other.DType == DType.Int64 ? other.To(self.DType) : other;
            return Broadcasting.Binary(op, a, b, new CompareKernel<TTest>());
        }

        private Tensor ArgExtreme(string op, int? dim, bool keepDim, bool max)
        {
            if (self.Numel == 0)
            {
                throw new ArgumentException($"{op}: cannot take the {op} of an empty tensor of shape {Shapes.Format(self._shape)}");
            }

            int outer = 1, n, inner = 1;
            int[] shape;
            if (dim is null)
            {
                n = self.Numel;
                shape = keepDim ? Enumerable.Repeat(1, self.Rank).ToArray() : [];
            }
            else
            {
                int d = Shapes.WrapDim(op, dim.Value, self.Rank);
                n = self.Rank == 0 ? 1 : self._shape[d];
                for (int i = 0; i < d; i++)
                {
                    outer *= self._shape[i];
                }

                for (int i = d + 1; i < self.Rank; i++)
                {
                    inner *= self._shape[i];
                }

                shape = self.Rank == 0 ? []
                    : keepDim ? [.. self._shape[..d], 1, .. self._shape[(d + 1)..]]
                    : [.. self._shape[..d], .. self._shape[(d + 1)..]];
            }

            var result = Tensor.Empty(shape, DType.Int64);
            switch (self._data)
            {
                case float[] f: ArgExtreme(f, outer, n, inner, max, result.I64); break;
                case double[] dd: ArgExtreme(dd, outer, n, inner, max, result.I64); break;
                case long[] l: ArgExtreme(l, outer, n, inner, max, result.I64); break;
            }

            return result;
        }
    }

    /// <summary>Two int64 tensors compared exactly, with broadcasting; the result is int64 0/1.</summary>
    private static Tensor CompareInt64<TTest>(string op, Tensor a, Tensor b, TTest test)
        where TTest : struct, IComparisonTest
    {
        int[] shape = Shapes.Broadcast(op, a._shape, b._shape);
        var result = Tensor.Empty(shape, DType.Int64);
        long[] x = a.I64, y = b.I64, d = result.I64;
        int[] xStrides = Shapes.BroadcastStrides(a._shape, shape), yStrides = Shapes.BroadcastStrides(b._shape, shape);
        var index = new int[shape.Length];
        for (int i = 0; i < d.Length; i++)
        {
            int xi = 0, yi = 0;
            for (int k = 0; k < shape.Length; k++)
            {
                xi += index[k] * xStrides[k];
                yi += index[k] * yStrides[k];
            }

            d[i] = test.Test(x[xi], y[yi]) ? 1 : 0;
            for (int k = shape.Length - 1; k >= 0 && ++index[k] == shape[k]; k--)
            {
                index[k] = 0;
            }
        }

        return result;
    }

    /// <summary>
    /// The scalar an elementwise comparison with <paramref name="value"/> uses: int64 for an int64
    /// tensor and a whole number (compared exactly), else a float constant.
    /// </summary>
    private static Tensor ScalarFor(Tensor self, double value) =>
        self.DType == DType.Int64 && double.IsInteger(value) && Math.Abs(value) < 9.2e18
            ? Tensor.Full([], value, DType.Int64)
            : Tensor.Constant(value, self);

    private static void ArgExtreme<T>(T[] x, int outer, int n, int inner, bool max, long[] dst)
        where T : INumber<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int baseOffset = (o * n * inner) + i;
                T best = x[baseOffset];
                int bestK = 0;
                for (int k = 1; k < n && !T.IsNaN(best); k++)
                {
                    T v = x[baseOffset + (k * inner)];
                    if (T.IsNaN(v) || (max ? v > best : v < best))
                    {
                        best = v;
                        bestK = k;
                    }
                }

                dst[(o * inner) + i] = bestK;
            }
        }
    }

    /// <summary>A scalar predicate over two numbers.</summary>
    private interface IComparisonTest
    {
        bool Test<T>(T x, T y)
            where T : INumber<T>;
    }

    private readonly struct EqualTest : IComparisonTest
    {
        public bool Test<T>(T x, T y) where T : INumber<T> => x == y;
    }

    private readonly struct NotEqualTest : IComparisonTest
    {
        public bool Test<T>(T x, T y) where T : INumber<T> => x != y;
    }

    private readonly struct LessTest : IComparisonTest
    {
        public bool Test<T>(T x, T y) where T : INumber<T> => x < y;
    }

    private readonly struct LessOrEqualTest : IComparisonTest
    {
        public bool Test<T>(T x, T y) where T : INumber<T> => x <= y;
    }

    private readonly struct GreaterTest : IComparisonTest
    {
        public bool Test<T>(T x, T y) where T : INumber<T> => x > y;
    }

    private readonly struct GreaterOrEqualTest : IComparisonTest
    {
        public bool Test<T>(T x, T y) where T : INumber<T> => x >= y;
    }

    /// <summary>destination[i] = test(x[i], y[i]) ? 1 : 0, run by the broadcasting binary driver.</summary>
    private readonly struct CompareKernel<TTest> : IBinaryKernel
        where TTest : struct, IComparisonTest
    {
        public void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < d.Length; i++)
            {
                d[i] = default(TTest).Test(x[i], y[i]) ? T.One : T.Zero;
            }
        }

        public void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < d.Length; i++)
            {
                d[i] = default(TTest).Test(x[i], y) ? T.One : T.Zero;
            }
        }

        public void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < d.Length; i++)
            {
                d[i] = default(TTest).Test(x, y[i]) ? T.One : T.Zero;
            }
        }
    }
}
