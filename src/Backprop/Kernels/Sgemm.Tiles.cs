using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels;

// The two register tiles of the packed GEMM, each written once and compiled twice: reading A from a
// packed MR-row panel (row r of step p at a[p·MR + r]) and reading an untransposed A where it is
// stored (a[r·lda + p]: no packing of A; about 7 % of a 256×784·784×256 product on one AVX-512
// core). Both forms give each element the same FMAs in the same order, so the same bits.
internal static unsafe partial class Sgemm
{
    /// <summary>The 8×32 micro-kernel (2 × Vector512): C[8×32] (+)= packed A panel · packed B panel over kc steps, held in 16 registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512_8x32(int kc, float* a, float* b, float* c, int ldc, bool accumulate) =>
        Tile8x32(kc, a, rowStride: 1, step: 8, b, c, ldc, accumulate, finish: false, null, false);

    /// <summary><see cref="Kernel512_8x32"/> with A read where it is stored: 8 rows <paramref name="lda"/> floats apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512_8x32Direct(int kc, float* a, int lda, float* b, float* c, int ldc, bool accumulate) =>
        Tile8x32(kc, a, rowStride: lda, step: 1, b, c, ldc, accumulate, finish: false, null, false);

    /// <summary><see cref="Kernel512_8x32"/> completing the sums: the bias (one per column, from <paramref name="bias"/>; none when null) added and ReLU applied in registers before the store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512_8x32Finish(int kc, float* a, float* b, float* c, int ldc, bool accumulate, float* bias, bool relu) =>
        Tile8x32(kc, a, rowStride: 1, step: 8, b, c, ldc, accumulate, finish: true, bias, relu);

    /// <summary><see cref="Kernel512_8x32Direct"/> completing the sums, as <see cref="Kernel512_8x32Finish"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512_8x32DirectFinish(int kc, float* a, int lda, float* b, float* c, int ldc, bool accumulate, float* bias, bool relu) =>
        Tile8x32(kc, a, rowStride: lda, step: 1, b, c, ldc, accumulate, finish: true, bias, relu);

    /// <summary>The 6×16 micro-kernel (2 × Vector256): C[6×16] (+)= packed A panel · packed B panel over kc steps, held in 12 registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256_6x16(int kc, float* a, float* b, float* c, int ldc, bool accumulate) =>
        Tile6x16(kc, a, rowStride: 1, step: 6, b, c, ldc, accumulate, finish: false, null, false);

    /// <summary><see cref="Kernel256_6x16"/> with A read where it is stored: 6 rows <paramref name="lda"/> floats apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256_6x16Direct(int kc, float* a, int lda, float* b, float* c, int ldc, bool accumulate) =>
        Tile6x16(kc, a, rowStride: lda, step: 1, b, c, ldc, accumulate, finish: false, null, false);

    /// <summary><see cref="Kernel256_6x16"/> completing the sums, as <see cref="Kernel512_8x32Finish"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256_6x16Finish(int kc, float* a, float* b, float* c, int ldc, bool accumulate, float* bias, bool relu) =>
        Tile6x16(kc, a, rowStride: 1, step: 6, b, c, ldc, accumulate, finish: true, bias, relu);

    /// <summary><see cref="Kernel256_6x16Direct"/> completing the sums, as <see cref="Kernel512_8x32Finish"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256_6x16DirectFinish(int kc, float* a, int lda, float* b, float* c, int ldc, bool accumulate, float* bias, bool relu) =>
        Tile6x16(kc, a, rowStride: lda, step: 1, b, c, ldc, accumulate, finish: true, bias, relu);

    /// <summary>C[8×32] (+)= A · B panel: row r of A at a + r·<paramref name="rowStride"/>, its step p at + p·<paramref name="step"/>; B panel 32 floats a step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile8x32(int kc, float* a, int rowStride, int step, float* b, float* c, int ldc, bool accumulate, bool finish, float* bias, bool relu)
    {
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        float* a0 = a, a1 = a0 + rowStride, a2 = a1 + rowStride, a3 = a2 + rowStride, a4 = a3 + rowStride, a5 = a4 + rowStride, a6 = a5 + rowStride, a7 = a6 + rowStride;
        nint at = 0;
        for (int p = 0; p < kc; p++, at += step)
        {
            Vector512<float> b0 = Vector512.Load(b + 0);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> x0 = Vector512.Create(a0[at]);
            c00 = Avx512F.FusedMultiplyAdd(x0, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(x0, b1, c01);
            Vector512<float> x1 = Vector512.Create(a1[at]);
            c10 = Avx512F.FusedMultiplyAdd(x1, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(x1, b1, c11);
            Vector512<float> x2 = Vector512.Create(a2[at]);
            c20 = Avx512F.FusedMultiplyAdd(x2, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(x2, b1, c21);
            Vector512<float> x3 = Vector512.Create(a3[at]);
            c30 = Avx512F.FusedMultiplyAdd(x3, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(x3, b1, c31);
            Vector512<float> x4 = Vector512.Create(a4[at]);
            c40 = Avx512F.FusedMultiplyAdd(x4, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(x4, b1, c41);
            Vector512<float> x5 = Vector512.Create(a5[at]);
            c50 = Avx512F.FusedMultiplyAdd(x5, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(x5, b1, c51);
            Vector512<float> x6 = Vector512.Create(a6[at]);
            c60 = Avx512F.FusedMultiplyAdd(x6, b0, c60);
            c61 = Avx512F.FusedMultiplyAdd(x6, b1, c61);
            Vector512<float> x7 = Vector512.Create(a7[at]);
            c70 = Avx512F.FusedMultiplyAdd(x7, b0, c70);
            c71 = Avx512F.FusedMultiplyAdd(x7, b1, c71);
            b += 32;
        }

        if (finish)
        {
            // x + (−0) is x for every x, and max(x, −∞) is x (NaN included): the identities where there is no bias or no ReLU.
            var e0 = bias == null ? Vector512.Create(-0f) : Vector512.Load(bias);
            var e1 = bias == null ? Vector512.Create(-0f) : Vector512.Load(bias + 16);
            var floor = relu ? Vector512<float>.Zero : Vector512.Create(float.NegativeInfinity);
            FinishRow(c00, c01, c, accumulate, e0, e1, floor);
            FinishRow(c10, c11, c += ldc, accumulate, e0, e1, floor);
            FinishRow(c20, c21, c += ldc, accumulate, e0, e1, floor);
            FinishRow(c30, c31, c += ldc, accumulate, e0, e1, floor);
            FinishRow(c40, c41, c += ldc, accumulate, e0, e1, floor);
            FinishRow(c50, c51, c += ldc, accumulate, e0, e1, floor);
            FinishRow(c60, c61, c += ldc, accumulate, e0, e1, floor);
            FinishRow(c70, c71, c += ldc, accumulate, e0, e1, floor);
        }
        else if (accumulate)
        {
            Vector512.Store(c00 + Vector512.Load(c + 0), c + 0);
            Vector512.Store(c01 + Vector512.Load(c + 16), c + 16);
            c += ldc;
            Vector512.Store(c10 + Vector512.Load(c + 0), c + 0);
            Vector512.Store(c11 + Vector512.Load(c + 16), c + 16);
            c += ldc;
            Vector512.Store(c20 + Vector512.Load(c + 0), c + 0);
            Vector512.Store(c21 + Vector512.Load(c + 16), c + 16);
            c += ldc;
            Vector512.Store(c30 + Vector512.Load(c + 0), c + 0);
            Vector512.Store(c31 + Vector512.Load(c + 16), c + 16);
            c += ldc;
            Vector512.Store(c40 + Vector512.Load(c + 0), c + 0);
            Vector512.Store(c41 + Vector512.Load(c + 16), c + 16);
            c += ldc;
            Vector512.Store(c50 + Vector512.Load(c + 0), c + 0);
            Vector512.Store(c51 + Vector512.Load(c + 16), c + 16);
            c += ldc;
            Vector512.Store(c60 + Vector512.Load(c + 0), c + 0);
            Vector512.Store(c61 + Vector512.Load(c + 16), c + 16);
            c += ldc;
            Vector512.Store(c70 + Vector512.Load(c + 0), c + 0);
            Vector512.Store(c71 + Vector512.Load(c + 16), c + 16);
        }
        else
        {
            Vector512.Store(c00, c + 0);
            Vector512.Store(c01, c + 16);
            c += ldc;
            Vector512.Store(c10, c + 0);
            Vector512.Store(c11, c + 16);
            c += ldc;
            Vector512.Store(c20, c + 0);
            Vector512.Store(c21, c + 16);
            c += ldc;
            Vector512.Store(c30, c + 0);
            Vector512.Store(c31, c + 16);
            c += ldc;
            Vector512.Store(c40, c + 0);
            Vector512.Store(c41, c + 16);
            c += ldc;
            Vector512.Store(c50, c + 0);
            Vector512.Store(c51, c + 16);
            c += ldc;
            Vector512.Store(c60, c + 0);
            Vector512.Store(c61, c + 16);
            c += ldc;
            Vector512.Store(c70, c + 0);
            Vector512.Store(c71, c + 16);
        }
    }

    /// <summary>C[6×16] (+)= A · B panel: row r of A at a + r·<paramref name="rowStride"/>, its step p at + p·<paramref name="step"/>; B panel 16 floats a step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile6x16(int kc, float* a, int rowStride, int step, float* b, float* c, int ldc, bool accumulate, bool finish, float* bias, bool relu)
    {
        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default;
        Vector256<float> c50 = default, c51 = default;
        float* a0 = a, a1 = a0 + rowStride, a2 = a1 + rowStride, a3 = a2 + rowStride, a4 = a3 + rowStride, a5 = a4 + rowStride;
        nint at = 0;
        for (int p = 0; p < kc; p++, at += step)
        {
            Vector256<float> b0 = Vector256.Load(b + 0);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> x0 = Vector256.Create(a0[at]);
            c00 = Fma.MultiplyAdd(x0, b0, c00);
            c01 = Fma.MultiplyAdd(x0, b1, c01);
            Vector256<float> x1 = Vector256.Create(a1[at]);
            c10 = Fma.MultiplyAdd(x1, b0, c10);
            c11 = Fma.MultiplyAdd(x1, b1, c11);
            Vector256<float> x2 = Vector256.Create(a2[at]);
            c20 = Fma.MultiplyAdd(x2, b0, c20);
            c21 = Fma.MultiplyAdd(x2, b1, c21);
            Vector256<float> x3 = Vector256.Create(a3[at]);
            c30 = Fma.MultiplyAdd(x3, b0, c30);
            c31 = Fma.MultiplyAdd(x3, b1, c31);
            Vector256<float> x4 = Vector256.Create(a4[at]);
            c40 = Fma.MultiplyAdd(x4, b0, c40);
            c41 = Fma.MultiplyAdd(x4, b1, c41);
            Vector256<float> x5 = Vector256.Create(a5[at]);
            c50 = Fma.MultiplyAdd(x5, b0, c50);
            c51 = Fma.MultiplyAdd(x5, b1, c51);
            b += 16;
        }

        if (finish)
        {
            var e0 = bias == null ? Vector256.Create(-0f) : Vector256.Load(bias);
            var e1 = bias == null ? Vector256.Create(-0f) : Vector256.Load(bias + 8);
            var floor = relu ? Vector256<float>.Zero : Vector256.Create(float.NegativeInfinity);
            FinishRow(c00, c01, c, accumulate, e0, e1, floor);
            FinishRow(c10, c11, c += ldc, accumulate, e0, e1, floor);
            FinishRow(c20, c21, c += ldc, accumulate, e0, e1, floor);
            FinishRow(c30, c31, c += ldc, accumulate, e0, e1, floor);
            FinishRow(c40, c41, c += ldc, accumulate, e0, e1, floor);
            FinishRow(c50, c51, c += ldc, accumulate, e0, e1, floor);
        }
        else if (accumulate)
        {
            Vector256.Store(c00 + Vector256.Load(c + 0), c + 0);
            Vector256.Store(c01 + Vector256.Load(c + 8), c + 8);
            c += ldc;
            Vector256.Store(c10 + Vector256.Load(c + 0), c + 0);
            Vector256.Store(c11 + Vector256.Load(c + 8), c + 8);
            c += ldc;
            Vector256.Store(c20 + Vector256.Load(c + 0), c + 0);
            Vector256.Store(c21 + Vector256.Load(c + 8), c + 8);
            c += ldc;
            Vector256.Store(c30 + Vector256.Load(c + 0), c + 0);
            Vector256.Store(c31 + Vector256.Load(c + 8), c + 8);
            c += ldc;
            Vector256.Store(c40 + Vector256.Load(c + 0), c + 0);
            Vector256.Store(c41 + Vector256.Load(c + 8), c + 8);
            c += ldc;
            Vector256.Store(c50 + Vector256.Load(c + 0), c + 0);
            Vector256.Store(c51 + Vector256.Load(c + 8), c + 8);
        }
        else
        {
            Vector256.Store(c00, c + 0);
            Vector256.Store(c01, c + 8);
            c += ldc;
            Vector256.Store(c10, c + 0);
            Vector256.Store(c11, c + 8);
            c += ldc;
            Vector256.Store(c20, c + 0);
            Vector256.Store(c21, c + 8);
            c += ldc;
            Vector256.Store(c30, c + 0);
            Vector256.Store(c31, c + 8);
            c += ldc;
            Vector256.Store(c40, c + 0);
            Vector256.Store(c41, c + 8);
            c += ldc;
            Vector256.Store(c50, c + 0);
            Vector256.Store(c51, c + 8);
        }
    }

    /// <summary>One row of a tile completing its sums: (+ C when accumulating) + bias, then the maximum with <paramref name="floor"/> (0 for ReLU), stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishRow(Vector512<float> v0, Vector512<float> v1, float* c, bool accumulate, Vector512<float> e0, Vector512<float> e1, Vector512<float> floor)
    {
        if (accumulate)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + 16);
        }

        Vector512.Store(Vector512.Max(v0 + e0, floor), c);
        Vector512.Store(Vector512.Max(v1 + e1, floor), c + 16);
    }

    /// <summary><see cref="FinishRow(Vector512{float}, Vector512{float}, float*, bool, Vector512{float}, Vector512{float}, Vector512{float})"/> for two Vector256.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishRow(Vector256<float> v0, Vector256<float> v1, float* c, bool accumulate, Vector256<float> e0, Vector256<float> e1, Vector256<float> floor)
    {
        if (accumulate)
        {
            v0 += Vector256.Load(c);
            v1 += Vector256.Load(c + 8);
        }

        Vector256.Store(Vector256.Max(v0 + e0, floor), c);
        Vector256.Store(Vector256.Max(v1 + e1, floor), c + 8);
    }
}
