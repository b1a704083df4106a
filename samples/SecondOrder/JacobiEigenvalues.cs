namespace Backprop.Samples.SecondOrder;

/// <summary>
/// The eigenvalues of a symmetric matrix by the cyclic Jacobi method: plane rotations, each zeroing one
/// off-diagonal pair, swept over all pairs until the off-diagonal part is negligible; the diagonal is
/// then the spectrum. Slow for large matrices (O(n³) per sweep), exact to rounding for the few dozen
/// rows of a tiny network's Hessian.
/// </summary>
internal static class JacobiEigenvalues
{
    /// <summary>The eigenvalues of the symmetric matrix <paramref name="matrix"/>, ascending (the matrix is not changed).</summary>
    /// <exception cref="ArgumentException">The matrix is not square or not symmetric (to 1e-10 relative).</exception>
    public static double[] Compute(double[,] matrix)
    {
        int n = matrix.GetLength(0);
        if (matrix.GetLength(1) != n)
        {
            throw new ArgumentException($"Jacobi: the matrix must be square, got {n} × {matrix.GetLength(1)}");
        }

        var a = (double[,])matrix.Clone();
        double scale = 0;
        foreach (double v in a)
        {
            scale = Math.Max(scale, Math.Abs(v));
        }

        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                if (Math.Abs(a[i, j] - a[j, i]) > 1e-10 * scale)
                {
                    throw new ArgumentException($"Jacobi: the matrix is not symmetric: [{i},{j}] = {a[i, j]:G6} but [{j},{i}] = {a[j, i]:G6}");
                }
            }
        }

        for (int sweep = 0; sweep < 100 && OffDiagonal(a) > 1e-30 * scale * scale; sweep++)
        {
            for (int p = 0; p < n - 1; p++)
            {
                for (int q = p + 1; q < n; q++)
                {
                    if (a[p, q] != 0)
                    {
                        Rotate(a, p, q);
                    }
                }
            }
        }

        var eigenvalues = new double[n];
        for (int i = 0; i < n; i++)
        {
            eigenvalues[i] = a[i, i];
        }

        Array.Sort(eigenvalues);
        return eigenvalues;
    }

    /// <summary>Σ of the squares of the off-diagonal elements.</summary>
    private static double OffDiagonal(double[,] a)
    {
        double sum = 0;
        int n = a.GetLength(0);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                sum += i == j ? 0 : a[i, j] * a[i, j];
            }
        }

        return sum;
    }

    /// <summary>
    /// A ← Jᵀ·A·J for the rotation J in the (p, q) plane that makes A[p, q] zero: with
    /// θ = (A[q,q] − A[p,p]) / (2·A[p,q]), t = tan φ is the smaller root of t² + 2θt − 1 = 0.
    /// </summary>
    private static void Rotate(double[,] a, int p, int q)
    {
        int n = a.GetLength(0);
        double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
        double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt((theta * theta) + 1));
        double c = 1 / Math.Sqrt((t * t) + 1);
        double s = t * c;
        for (int k = 0; k < n; k++)
        {
            // Columns p and q of A·J.
            double akp = a[k, p];
            double akq = a[k, q];
            a[k, p] = (c * akp) - (s * akq);
            a[k, q] = (s * akp) + (c * akq);
        }

        for (int k = 0; k < n; k++)
        {
            // Rows p and q of Jᵀ·(A·J).
            double apk = a[p, k];
            double aqk = a[q, k];
            a[p, k] = (c * apk) - (s * aqk);
            a[q, k] = (s * apk) + (c * aqk);
        }
    }
}
