using System.Numerics;
using System.Numerics.Tensors;

namespace Backprop.Kernels;

/// <summary>The cell a recurrent layer applies at every time step.</summary>
internal enum RecurrentMode
{
    /// <summary>h' = tanh(W_ih x + b_ih + W_hh h + b_hh).</summary>
    RnnTanh,

    /// <summary>h' = relu(W_ih x + b_ih + W_hh h + b_hh).</summary>
    RnnRelu,

    /// <summary>PyTorch's LSTM: gates i, f, g, o in that order along the rows of the weights.</summary>
    Lstm,

    /// <summary>PyTorch's GRU: gates r, z, n, with n = tanh(W_in x + b_in + r·(W_hn h + b_hn)).</summary>
    Gru,
}

/// <summary>
/// One recurrent layer, one direction, over a time-major sequence x of shape (steps, batch, input),
/// forward and backward through time. The work is arranged as cuDNN arranges it: one GEMM computes
/// x·W_ihᵀ for all time steps at once, each step does one GEMM h·W_hhᵀ and one pass over the gates;
/// backward does one GEMM per step for dL/dh_{t−1} and then one GEMM each for dL/dx, dL/dW_ih and
/// dL/dW_hh over all steps. Weights use PyTorch's layout: W_ih is (G·H, input), W_hh is (G·H, H)
/// with the G gates stacked along the rows. Forward keeps what backward needs (the gate activations,
/// LSTM's cells, GRU's W_hn h + b_hn); the buffers are read-only afterwards, so backward can run
/// more than once.
/// </summary>
internal sealed class RecurrentLayer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly RecurrentMode _mode;
    private readonly int _steps;
    private readonly int _batch;
    private readonly int _input;
    private readonly int _hidden;
    private readonly int _gateWidth;

    // Saved by Forward: activated gates (LSTM i,f,g,o; GRU r,z,n) per (step, batch) row, LSTM's
    // cells c_t and tanh(c_t), GRU's W_hn h_{t−1} + b_hn.
    private T[]? _gates;
    private T[]? _cells;
    private T[]? _tanhCells;
    private T[]? _hiddenN;

    public RecurrentLayer(RecurrentMode mode, int steps, int batch, int input, int hidden)
    {
        _mode = mode;
        _steps = steps;
        _batch = batch;
        _input = input;
        _hidden = hidden;
        _gateWidth = GateCount(mode) * hidden;
    }

    /// <summary>Gates stacked in the weights: 4 for LSTM, 3 for GRU, 1 for the plain RNN.</summary>
    public static int GateCount(RecurrentMode mode) => mode switch
    {
        RecurrentMode.Lstm => 4,
        RecurrentMode.Gru => 3,
        _ => 1,
    };

    /// <summary>
    /// Runs the sequence. <paramref name="output"/> receives h_1 … h_T as (steps, batch, H) from
    /// offset 0; for LSTM <paramref name="cLast"/> receives c_T.
    /// </summary>
    public void Forward(T[] x, T[] h0, T[]? c0, T[] wIh, T[] wHh, T[]? bIh, T[]? bHh, T[] output, ArraySegment<T> cLast)
    {
        int h = _hidden, gw = _gateWidth, rows = _steps * _batch, block = _batch * h;

        // Pre-activations from the input side for all steps at once: x·W_ihᵀ + b_ih, plus the parts
        // of b_hh that are simply added (all of it, except GRU's b_hn which sits inside r·(…)).
        var xw = new T[rows * gw];
        Gemm.Multiply<T>(false, true, rows, gw, _input, x, wIh, xw);
        if (bIh is not null || bHh is not null)
        {
            var bias = new T[gw];
            if (bIh is not null)
            {
                bIh.CopyTo(bias, 0);
            }

            if (bHh is not null)
            {
                int folded = _mode == RecurrentMode.Gru ? 2 * h : gw;
                TensorPrimitives.Add(bias.AsSpan(0, folded), bHh.AsSpan(0, folded), bias.AsSpan(0, folded));
            }

            for (int r = 0; r < rows; r++)
            {
                var row = xw.AsSpan(r * gw, gw);
                TensorPrimitives.Add(row, bias, row);
            }
        }

        if (_mode is RecurrentMode.Lstm or RecurrentMode.Gru)
        {
            _gates = xw;
        }

        if (_mode == RecurrentMode.Lstm)
        {
            _cells = new T[rows * h];
            _tanhCells = new T[rows * h];
        }
        else if (_mode == RecurrentMode.Gru)
        {
            _hiddenN = new T[rows * h];
        }

        var hw = new T[_batch * gw];
        for (int t = 0; t < _steps; t++)
        {
            var hPrev = t == 0 ? new ArraySegment<T>(h0) : new ArraySegment<T>(output, (t - 1) * block, block);
            Gemm.Multiply<T>(false, true, _batch, gw, h, hPrev, wHh, hw);
            var gates = xw.AsSpan(t * _batch * gw, _batch * gw);
            switch (_mode)
            {
                case RecurrentMode.RnnTanh:
                case RecurrentMode.RnnRelu:
                {
                    var hNext = output.AsSpan(t * block, block);
                    TensorPrimitives.Add(gates, hw, hNext);
                    if (_mode == RecurrentMode.RnnTanh)
                    {
                        TensorPrimitives.Tanh(hNext, hNext);
                    }
                    else
                    {
                        TensorPrimitives.Max(hNext, T.Zero, hNext);
                    }

                    break;
                }

                case RecurrentMode.Lstm:
                    TensorPrimitives.Add(gates, hw, gates);
                    for (int b = 0; b < _batch; b++)
                    {
                        int row = (t * _batch) + b;
                        ReadOnlySpan<T> cPrev = t == 0 ? c0.AsSpan(b * h, h) : _cells.AsSpan((row - _batch) * h, h);
                        LstmStep(xw.AsSpan(row * gw, gw), cPrev, _cells.AsSpan(row * h, h), _tanhCells.AsSpan(row * h, h), output.AsSpan(row * h, h));
                    }

                    break;

                case RecurrentMode.Gru:
                    for (int b = 0; b < _batch; b++)
                    {
                        int row = (t * _batch) + b;
                        ReadOnlySpan<T> hPrevRow = hPrev.AsSpan(b * h, h);
                        var hn = _hiddenN.AsSpan(row * h, h);
                        var hwRow = hw.AsSpan(b * gw, gw);
                        if (bHh is not null)
                        {
                            TensorPrimitives.Add(hwRow.Slice(2 * h, h), bHh.AsSpan(2 * h, h), hn);
                        }
                        else
                        {
                            hwRow.Slice(2 * h, h).CopyTo(hn);
                        }

                        GruStep(xw.AsSpan(row * gw, gw), hwRow, hn, hPrevRow, output.AsSpan(row * h, h));
                    }

                    break;
            }
        }

        if (_mode == RecurrentMode.Lstm)
        {
            _cells.AsSpan((rows - _batch) * h, block).CopyTo(cLast);
        }
    }

    /// <summary>
    /// Back-propagates through time. <paramref name="gOutput"/> is dL/dh_t for every step (from
    /// offset 0); <paramref name="gCLast"/> is dL/dc_T (LSTM). Each gradient array that is not null
    /// is overwritten with dL/d(that input).
    /// </summary>
    public void Backward(
        T[] gOutput,
        ArraySegment<T> gCLast,
        T[] x,
        T[] h0,
        T[]? c0,
        T[] wIh,
        T[] wHh,
        T[] output,
        T[]? gx,
        T[]? gh0,
        T[]? gc0,
        T[]? gWIh,
        T[]? gWHh,
        T[]? gBIh,
        T[]? gBHh)
    {
        int h = _hidden, gw = _gateWidth, rows = _steps * _batch, block = _batch * h;

        // dxw: dL/d(pre-activation) as the input side sees it; dhw: as the hidden side sees it.
        // They differ only for GRU's n gate, whose hidden part is scaled by r.
        var dxw = new T[rows * gw];
        var dhw = _mode == RecurrentMode.Gru ? new T[rows * gw] : dxw;
        var dh = new T[block];
        var dhCarry = new T[block];
        var dc = _mode == RecurrentMode.Lstm ? gCLast.ToArray() : null;
        for (int t = _steps - 1; t >= 0; t--)
        {
            TensorPrimitives.Add(gOutput.AsSpan(t * block, block), dhCarry, dh);
            var hPrev = t == 0 ? new ArraySegment<T>(h0) : new ArraySegment<T>(output, (t - 1) * block, block);
            switch (_mode)
            {
                case RecurrentMode.RnnTanh:
                case RecurrentMode.RnnRelu:
                    RnnStepBackward(output.AsSpan(t * block, block), dh, dxw.AsSpan(t * _batch * gw, block), _mode == RecurrentMode.RnnTanh);
                    break;
                case RecurrentMode.Lstm:
                    for (int b = 0; b < _batch; b++)
                    {
                        int row = (t * _batch) + b;
                        ReadOnlySpan<T> cPrev = t == 0 ? c0.AsSpan(b * h, h) : _cells.AsSpan((row - _batch) * h, h);
                        LstmStepBackward(_gates.AsSpan(row * gw, gw), _tanhCells.AsSpan(row * h, h), cPrev, dh.AsSpan(b * h, h), dc.AsSpan(b * h, h), dxw.AsSpan(row * gw, gw));
                    }

                    break;
                case RecurrentMode.Gru:
                    for (int b = 0; b < _batch; b++)
                    {
                        int row = (t * _batch) + b;
                        GruStepBackward(
                            _gates.AsSpan(row * gw, gw),
                            _hiddenN.AsSpan(row * h, h),
                            hPrev.AsSpan(b * h, h),
                            dh.AsSpan(b * h, h),
                            dxw.AsSpan(row * gw, gw),
                            dhw.AsSpan(row * gw, gw),
                            dhCarry.AsSpan(b * h, h));
                    }

                    break;
            }

            if (t > 0 || gh0 is not null)
            {
                // dL/dh_{t−1} = dhw_t·W_hh (+ GRU's direct path z·dh, already in dhCarry).
                Gemm.Multiply<T>(false, false, _batch, h, gw, new ArraySegment<T>(dhw, t * _batch * gw, _batch * gw), wHh, dhCarry, accumulate: _mode == RecurrentMode.Gru);
            }
        }

        if (gh0 is not null)
        {
            dhCarry.CopyTo(gh0, 0);
        }

        if (gc0 is not null)
        {
            dc.AsSpan().CopyTo(gc0);
        }

        if (gx is not null)
        {
            Gemm.Multiply<T>(false, false, rows, _input, gw, dxw, wIh, gx);
        }

        if (gWIh is not null)
        {
            Gemm.Multiply<T>(true, false, gw, _input, rows, dxw, x, gWIh);
        }

        if (gWHh is not null)
        {
            // Σ_t dhw_tᵀ·h_{t−1}: h_0 first, then h_1 … h_{T−1}, which sit contiguously in output.
            Gemm.Multiply<T>(true, false, gw, h, _batch, new ArraySegment<T>(dhw, 0, _batch * gw), h0, gWHh);
            if (_steps > 1)
            {
                Gemm.Multiply<T>(true, false, gw, h, (_steps - 1) * _batch, new ArraySegment<T>(dhw, _batch * gw, (_steps - 1) * _batch * gw), output, gWHh, accumulate: true);
            }
        }

        if (gBIh is not null)
        {
            SumRows(dxw, rows, gBIh);
        }

        if (gBHh is not null)
        {
            SumRows(dhw, rows, gBHh);
        }
    }

    /// <summary>
    /// One LSTM row: gates holds the pre-activations i, f, g, o and is overwritten with
    /// σ(i), σ(f), tanh(g), σ(o); c = f·c_prev + i·g, h = o·tanh(c).
    /// </summary>
    private static void LstmStep(Span<T> gates, ReadOnlySpan<T> cPrev, Span<T> c, Span<T> tanhC, Span<T> hNext)
    {
        int h = c.Length;
        var sigmoidIF = gates[..(2 * h)];
        TensorPrimitives.Sigmoid(sigmoidIF, sigmoidIF);
        var g = gates.Slice(2 * h, h);
        TensorPrimitives.Tanh(g, g);
        var o = gates.Slice(3 * h, h);
        TensorPrimitives.Sigmoid(o, o);
        TensorPrimitives.Multiply(gates.Slice(h, h), cPrev, c);
        TensorPrimitives.FusedMultiplyAdd(gates[..h], g, c, c);
        TensorPrimitives.Tanh(c, tanhC);
        TensorPrimitives.Multiply(o, tanhC, hNext);
    }

    /// <summary>
    /// One GRU row: gates holds x-side pre-activations (r and z with both biases, n with b_in) and is
    /// overwritten with r, z, n; hw holds h·W_hhᵀ and hn = W_hn h + b_hn;
    /// n = tanh(x_n + r·hn), h' = (1 − z)·n + z·h = n + z·(h − n).
    /// </summary>
    private static void GruStep(Span<T> gates, ReadOnlySpan<T> hw, ReadOnlySpan<T> hn, ReadOnlySpan<T> hPrev, Span<T> hNext)
    {
        int h = hn.Length;
        var rz = gates[..(2 * h)];
        TensorPrimitives.Add(rz, hw[..(2 * h)], rz);
        TensorPrimitives.Sigmoid(rz, rz);
        var n = gates.Slice(2 * h, h);
        TensorPrimitives.FusedMultiplyAdd(gates[..h], hn, n, n);
        TensorPrimitives.Tanh(n, n);
        TensorPrimitives.Subtract(hPrev, n, hNext);
        TensorPrimitives.FusedMultiplyAdd(gates.Slice(h, h), hNext, n, hNext);
    }

    /// <summary>dL/da = dh·(1 − h²) for tanh, dh where h &gt; 0 for relu.</summary>
    private static void RnnStepBackward(ReadOnlySpan<T> hNext, ReadOnlySpan<T> dh, Span<T> da, bool tanh)
    {
        for (int j = 0; j < da.Length; j++)
        {
            da[j] = tanh ? dh[j] * (T.One - (hNext[j] * hNext[j])) : (hNext[j] > T.Zero ? dh[j] : T.Zero);
        }
    }

    /// <summary>
    /// One LSTM row backward. With dc_total = dc + dh·o·(1 − tanh²c): dL/d(pre i) = dc_total·g·i(1 − i),
    /// d(pre f) = dc_total·c_prev·f(1 − f), d(pre g) = dc_total·i·(1 − g²), d(pre o) = dh·tanh c·o(1 − o);
    /// dc becomes dL/dc_prev = dc_total·f.
    /// </summary>
    private static void LstmStepBackward(ReadOnlySpan<T> gates, ReadOnlySpan<T> tanhC, ReadOnlySpan<T> cPrev, ReadOnlySpan<T> dh, Span<T> dc, Span<T> dGates)
    {
        int h = dh.Length, j = 0;
        if (Vector.IsHardwareAccelerated && h >= Vector<T>.Count)
        {
            var one = Vector<T>.One;
            for (; j <= h - Vector<T>.Count; j += Vector<T>.Count)
            {
                var i = new Vector<T>(gates[j..]);
                var f = new Vector<T>(gates[(h + j)..]);
                var g = new Vector<T>(gates[((2 * h) + j)..]);
                var o = new Vector<T>(gates[((3 * h) + j)..]);
                var tc = new Vector<T>(tanhC[j..]);
                var dhj = new Vector<T>(dh[j..]);
                var dcTotal = new Vector<T>(dc[j..]) + (dhj * o * (one - (tc * tc)));
                (dcTotal * f).CopyTo(dc[j..]);
                (dcTotal * g * i * (one - i)).CopyTo(dGates[j..]);
                (dcTotal * new Vector<T>(cPrev[j..]) * f * (one - f)).CopyTo(dGates[(h + j)..]);
                (dcTotal * i * (one - (g * g))).CopyTo(dGates[((2 * h) + j)..]);
                (dhj * tc * o * (one - o)).CopyTo(dGates[((3 * h) + j)..]);
            }
        }

        for (; j < h; j++)
        {
            T i = gates[j], f = gates[h + j], g = gates[(2 * h) + j], o = gates[(3 * h) + j], tc = tanhC[j];
            T dcTotal = dc[j] + (dh[j] * o * (T.One - (tc * tc)));
            dc[j] = dcTotal * f;
            dGates[j] = dcTotal * g * i * (T.One - i);
            dGates[h + j] = dcTotal * cPrev[j] * f * (T.One - f);
            dGates[(2 * h) + j] = dcTotal * i * (T.One - (g * g));
            dGates[(3 * h) + j] = dh[j] * tc * o * (T.One - o);
        }
    }

    /// <summary>
    /// One GRU row backward. With h' = n + z·(h − n): dn = dh·(1 − z), d(pre n) = dn·(1 − n²),
    /// d(pre r) = d(pre n)·hn·r(1 − r), d(pre z) = dh·(h − n)·z(1 − z); the x side gets d(pre n), the
    /// hidden side d(pre n)·r; the direct path gives dL/dh_prev = dh·z (the GEMM adds the rest).
    /// </summary>
    private static void GruStepBackward(ReadOnlySpan<T> gates, ReadOnlySpan<T> hn, ReadOnlySpan<T> hPrev, ReadOnlySpan<T> dh, Span<T> dxw, Span<T> dhw, Span<T> dhPrev)
    {
        int h = dh.Length, j = 0;
        if (Vector.IsHardwareAccelerated && h >= Vector<T>.Count)
        {
            var one = Vector<T>.One;
            for (; j <= h - Vector<T>.Count; j += Vector<T>.Count)
            {
                var r = new Vector<T>(gates[j..]);
                var z = new Vector<T>(gates[(h + j)..]);
                var n = new Vector<T>(gates[((2 * h) + j)..]);
                var dhj = new Vector<T>(dh[j..]);
                var dan = dhj * (one - z) * (one - (n * n));
                var dar = dan * new Vector<T>(hn[j..]) * r * (one - r);
                var daz = dhj * (new Vector<T>(hPrev[j..]) - n) * z * (one - z);
                dar.CopyTo(dxw[j..]);
                dar.CopyTo(dhw[j..]);
                daz.CopyTo(dxw[(h + j)..]);
                daz.CopyTo(dhw[(h + j)..]);
                dan.CopyTo(dxw[((2 * h) + j)..]);
                (dan * r).CopyTo(dhw[((2 * h) + j)..]);
                (dhj * z).CopyTo(dhPrev[j..]);
            }
        }

        for (; j < h; j++)
        {
            T r = gates[j], z = gates[h + j], n = gates[(2 * h) + j];
            T dan = dh[j] * (T.One - z) * (T.One - (n * n));
            T dar = dan * hn[j] * r * (T.One - r);
            T daz = dh[j] * (hPrev[j] - n) * z * (T.One - z);
            dxw[j] = dhw[j] = dar;
            dxw[h + j] = dhw[h + j] = daz;
            dxw[(2 * h) + j] = dan;
            dhw[(2 * h) + j] = dan * r;
            dhPrev[j] = dh[j] * z;
        }
    }

    /// <summary>sum[j] = Σ_r m[r, j] over the rows of a (rows × sum.Length) matrix.</summary>
    private static void SumRows(T[] m, int rows, T[] sum)
    {
        int n = sum.Length;
        Array.Clear(sum);
        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.Add(sum, m.AsSpan(r * n, n), sum);
        }
    }
}
