namespace Backprop.Samples.SecondOrder;

/// <summary>Solving A·x = b for a symmetric positive definite A (a Hessian at a strict minimum) by Cholesky, A = L·Lᵀ.</summary>
internal static class Cholesky
{
    /// <summary>x with A·x = b: factor A = L·Lᵀ, then solve L·y = b forwards and Lᵀ·x = y backwards.</summary>
    /// <exception cref="ArgumentException">A is not square, b's length differs, or A is not positive definite.</exception>
    public static double[] Solve(double[,] a, double[] b)
    {
        int n = a.GetLength(0);
        if (a.GetLength(1) != n || b.Length != n)
        {
            throw new ArgumentException($"Cholesky: A must be n × n and b of length n, got {a.GetLength(0)} × {a.GetLength(1)} and {b.Length}");
        }

        var l = new double[n, n];
        for (int j = 0; j < n; j++)
        {
            double pivot = a[j, j];
            for (int k = 0; k < j; k++)
            {
                pivot -= l[j, k] * l[j, k];
            }

            if (!(pivot > 0))
            {
                throw new ArgumentException($"Cholesky: the matrix is not positive definite (pivot {j} is {pivot:G3})");
            }

            l[j, j] = Math.Sqrt(pivot);
            for (int i = j + 1; i < n; i++)
            {
                double sum = a[i, j];
                for (int k = 0; k < j; k++)
                {
                    sum -= l[i, k] * l[j, k];
                }

                l[i, j] = sum / l[j, j];
            }
        }

        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            double sum = b[i];
            for (int k = 0; k < i; k++)
            {
                sum -= l[i, k] * y[k];
            }

            y[i] = sum / l[i, i];
        }

        var x = new double[n];
        for (int i = n - 1; i >= 0; i--)
        {
            double sum = y[i];
            for (int k = i + 1; k < n; k++)
            {
                sum -= l[k, i] * x[k];
            }

            x[i] = sum / l[i, i];
        }

        return x;
    }
}
