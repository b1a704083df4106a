using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

/// <summary>
/// The strided copy behind permute, transpose, select, narrow and slice: every element of the view
/// against its index formula, on 1, 2 and 3 threads (a large copy is cut into pieces of whole
/// innermost runs, each starting its own odometer), for views with an offset, runs of one element and
/// sizes whose pieces start in the middle of every dimension; and the scatter back.
/// </summary>
public class PermuteTests
{
    public static TheoryData<int[], int[], int> Views() => new()
    {
        // (shape of the source, permutation of its dims, offset in elements into a larger source)
        { [28, 256, 128], [1, 0, 2], 0 },
        { [256, 28, 28], [1, 0, 2], 0 },
        { [7, 13, 11, 97], [3, 1, 0, 2], 5 },
        { [600, 700], [1, 0], 3 },
        { [5, 3, 40000], [2, 0, 1], 0 },
        { [2, 3, 4], [2, 1, 0], 1 },
        { [131073], [0], 0 },
    };

    [Theory]
    [MemberData(nameof(Views))]
    public void GatherReadsEveryElementOfTheViewOnAnyThreadCount(int[] sourceShape, int[] perm, int offset)
    {
        var (shape, strides, source) = View(sourceShape, perm, offset);
        int count = shape.Aggregate(1, (a, b) => a * b);
        var expected = new float[count];
        for (int i = 0; i < count; i++)
        {
            expected[i] = source[Position(i, shape, strides, offset)];
        }

        foreach (int threads in (int[])[1, 2, 3])
        {
            var actual = ThreadCount.With(threads, () =>
            {
                var dst = new float[count];
                Permute.Gather(source, offset, shape, strides, dst);
                return dst;
            });
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"threads={threads}");
        }
    }

    [Theory]
    [MemberData(nameof(Views))]
    public void ScatterWritesEachElementBackToItsPlaceAndNothingElse(int[] sourceShape, int[] perm, int offset)
    {
        var (shape, strides, source) = View(sourceShape, perm, offset);
        int count = shape.Aggregate(1, (a, b) => a * b);
        var flat = new double[count];
        for (int i = 0; i < count; i++)
        {
            flat[i] = i + 1;
        }

        var expected = new double[source.Length];
        for (int i = 0; i < count; i++)
        {
            expected[Position(i, shape, strides, offset)] = i + 1;
        }

        foreach (int threads in (int[])[1, 2])
        {
            var actual = ThreadCount.With(threads, () =>
            {
                var dst = new double[source.Length];
                Permute.Scatter(flat, dst, offset, shape, strides);
                return dst;
            });
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"threads={threads}");
        }
    }

    [Fact]
    public void ALargeTransposeOfATensorIsTheSameOnOneAndTwoThreads()
    {
        // Through the public op, with its backward (the scatter): (steps, batch, hidden) to batch-first.
        var x = Tensor.Rand([28, 64, 128], generator: new Generator(3)).RequiresGrad_();
        var (y1, g1) = ThreadCount.With(1, () => TransposeAndGrad(x));
        var (y2, g2) = ThreadCount.With(2, () => TransposeAndGrad(x));
        Assert.Equal(y1, y2);
        Assert.Equal(g1, g2);
        Assert.Equal(x.ToArray<float>()[(5 * 64 * 128) + (7 * 128) + 9], y1[(7 * 28 * 128) + (5 * 128) + 9]);
    }

    private static (float[] Y, float[] Grad) TransposeAndGrad(Tensor x)
    {
        x.Grad = null;
        var y = x.Transpose(0, 1);
        var weights = Tensor.Arange(y.Numel).View(y.Shape);
        (y * weights).Sum().Backward();
        return (y.ToArray<float>(), x.Grad!.ToArray<float>());
    }

    /// <summary>A permuted view of a source with <paramref name="offset"/> extra leading elements, and that source filled with distinct values.</summary>
    private static (int[] Shape, int[] Strides, float[] Source) View(int[] sourceShape, int[] perm, int offset)
    {
        var rowMajor = new int[sourceShape.Length];
        for (int d = sourceShape.Length - 1, s = 1; d >= 0; s *= sourceShape[d], d--)
        {
            rowMajor[d] = s;
        }

        int total = sourceShape.Aggregate(1, (a, b) => a * b) + offset;
        var source = new float[total];
        for (int i = 0; i < total; i++)
        {
            source[i] = i;
        }

        return (perm.Select(p => sourceShape[p]).ToArray(), perm.Select(p => rowMajor[p]).ToArray(), source);
    }

    private static int Position(int flatIndex, int[] shape, int[] strides, int offset)
    {
        int pos = offset;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            pos += flatIndex % shape[d] * strides[d];
            flatIndex /= shape[d];
        }

        return pos;
    }
}
