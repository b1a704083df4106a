using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
    private StepBuffer? _gates;
    private StepBuffer? _cells;
    private StepBuffer? _tanhCells;
    private StepBuffer? _hiddenN;

    // Pinned buffers for the per-call packs of W_hhᵀ (Forward) and W_hh (Backward), kept per calling
    // thread for its next call (see PackStepWeight).
    [ThreadStatic]
    private static float[]? t_packedForward;

    [ThreadStatic]
    private static float[]? t_packedBackward;

    [ThreadStatic]
    private static float[]? t_packedInput;

    public RecurrentLayer(RecurrentMode mode, int steps, int batch, int input, int hidden)
    {
        _mode = mode;
        _steps = steps;
        _batch = batch;
        _input = input;
        _hidden = hidden;
        _gateWidth = GateCount(mode) * hidden;
    }

    // Rows of the batch that run all steps together in the forward recurrence. A block's step products,
    // gates and states (32 rows of LSTM(128): 64 KB of h·W_hhᵀ, 64 KB of gates) stay in the core's L2
    // beside the packed W_hh (256 KB); a thread's whole range (128 rows at batch 256 on 2 threads) did
    // not. bench infer lstm batch 256 against ORT, eight runs alternating with the whole-range build:
    // medians 0.95 -> 0.92 on 1 thread, 1.09 -> 1.03 on 2 (block 12).
    private const int RecurrenceRowBlock = 32;

    /// <summary>Gates stacked in the weights: 4 for LSTM, 3 for GRU, 1 for the plain RNN.</summary>
    public static int GateCount(RecurrentMode mode) => mode switch
    {
        RecurrentMode.Lstm => 4,
        RecurrentMode.Gru => 3,
        _ => 1,
    };

    /// <summary>
    /// Runs the sequence. <paramref name="output"/> receives h_1 … h_T as (steps, batch, H) from
    /// offset 0; for LSTM <paramref name="cLast"/> receives c_T. Without <paramref name="forBackward"/>
    /// (nothing will be differentiated: an inference forward) it keeps nothing for
    /// <see cref="Backward"/>: the gates and LSTM's cells live in pooled buffers for the call, the
    /// cells in two alternating steps instead of one per step, with the same values.
    /// </summary>
    public void Forward(T[] x, T[] h0, T[]? c0, T[] wIh, T[] wHh, T[]? bIh, T[]? bHh, T[] output, ArraySegment<T> cLast, bool forBackward = true)
    {
        int h = _hidden, gw = _gateWidth, block = _batch * h;
        bool pooled = !forBackward;

        // Pre-activations from the input side: x·W_ihᵀ + b_ih, plus the parts of b_hh that are simply
        // added (all of it, except GRU's b_hn which sits inside r·(…)). For backward (which keeps them
        // as the gates) all steps at once, one GEMM per chunk of steps. An inference forward keeps
        // nothing, so each block of rows computes its own step's share right before the step's product
        // from W_ih packed once (see below): the same GEMM over the same K, so the same bits, without
        // writing all steps' pre-activations (LSTM(128) at batch 256: 14.7 MB) out of cache and
        // reading them back.
        T[]? bias = null;
        if (bIh is not null || bHh is not null)
        {
            bias = new T[gw];
            if (bIh is not null)
            {
                bIh.CopyTo(bias, 0);
            }

            if (bHh is not null)
            {
                int folded = _mode == RecurrentMode.Gru ? 2 * h : gw;
                TensorPrimitives.Add(bias.AsSpan(0, folded), bHh.AsSpan(0, folded), bias.AsSpan(0, folded));
            }
        }

        var packedIh = forBackward ? null : PackStepWeight(transB: true, _input, gw, wIh, ref t_packedInput);
        var xw = packedIh is null ? new StepBuffer(_steps, _batch * gw, pooled) : null;
        foreach (var (first, count, chunk) in xw?.Chunks() ?? [])
        {
            var xChunk = new ArraySegment<T>(x, first * _batch * _input, count * _batch * _input);
            if (typeof(T) == typeof(float))
            {
                // The bias added to each tile in the GEMM's registers (Sgemm.Epilogue), not in a pass over
                // the chunk (LSTM(128) at batch 128: 7.3 MB) afterwards.
                Sgemm.Multiply(false, true, count * _batch, gw, _input, MemoryMarshal.Cast<T, float>(xChunk.AsSpan()), MemoryMarshal.Cast<T, float>(wIh.AsSpan()), MemoryMarshal.Cast<T, float>(chunk.AsSpan()), MemoryMarshal.Cast<T, float>(bias.AsSpan()), relu: false);
                continue;
            }

            Gemm.Multiply<T>(false, true, count * _batch, gw, _input, xChunk, wIh, chunk);
            if (bias is not null)
            {
                // While the chunk is still in cache, on all threads (a serial pass here left the other threads idle).
                Threading.For(count * _batch, gw, (r0, r1) => AddBias(chunk.AsSpan(r0 * gw, (r1 - r0) * gw), bias));
            }
        }

        if (_mode is RecurrentMode.Lstm or RecurrentMode.Gru)
        {
            _gates = xw;
        }

        // Without backward, step t of the cells only needs step t − 1: two alternating steps suffice.
        int kept = forBackward ? _steps : Math.Clamp(_steps, 1, 2);
        if (_mode == RecurrentMode.Lstm)
        {
            _cells = new StepBuffer(kept, block, pooled);
            // tanh(c) only serves the backward pass.
            _tanhCells = forBackward ? new StepBuffer(kept, block, pooled) : null;
        }
        else if (_mode == RecurrentMode.Gru)
        {
            _hiddenN = new StepBuffer(kept, block, pooled);
        }

        // The recurrence. Batch rows are independent through time, so threads take one contiguous range
        // of rows and run all steps on them with no synchronization in between, a block of at most
        // RecurrenceRowBlock rows at a time; each step is one GEMM h_{t−1}·W_hhᵀ for the block and one
        // fused pass over its gates. A row is computed the same way whatever the range or block (a
        // block of one row of a larger batch stays on the GEMM, not the one-row kernel), so results do
        // not depend on the thread count.
        var bHn = _mode == RecurrentMode.Gru && bHh is not null ? bHh[(2 * h)..] : null;
        var packedHh = PackStepWeight(transB: true, h, gw, wHh, ref t_packedForward);
        Threading.For(_batch, (long)_steps * gw * (h + 64), piecesPerThread: 1, (rangeFirst, rangeEnd) =>
        {
            int blockRows = Math.Min(RecurrenceRowBlock, rangeEnd - rangeFirst);
            var hw = new T[blockRows * gw];
            var blockXw = xw is null ? new T[blockRows * gw] : null;
            for (int first = rangeFirst; first < rangeEnd; first += RecurrenceRowBlock)
            {
                int end = Math.Min(rangeEnd, first + RecurrenceRowBlock), rows = end - first;
                for (int t = 0; t < _steps; t++)
                {
                    var hPrev = t == 0 ? new ArraySegment<T>(h0, first * h, rows * h) : new ArraySegment<T>(output, ((t - 1) * block) + (first * h), rows * h);
                    // The block's rows of the step's input-side pre-activations (a row at (b − first)·gw).
                    Span<T> gates;
                    if (blockXw is null)
                    {
                        gates = xw!.Step(t).Slice(first * gw, rows * gw);
                    }
                    else
                    {
                        gates = blockXw.AsSpan(0, rows * gw);
                        var xt = MemoryMarshal.Cast<T, float>(x.AsSpan((((t * _batch) + first) * _input), rows * _input));
                        Sgemm.Multiply(false, rows, xt, packedIh!, MemoryMarshal.Cast<T, float>(gates), MemoryMarshal.Cast<T, float>(bias.AsSpan()), relu: false, oneRowKernel: false);
                    }

                    StepProduct(packedHh, transB: true, rows, gw, h, hPrev, wHh, new ArraySegment<T>(hw, 0, rows * gw), accumulate: false);
                    for (int b = first; b < end; b++)
                    {
                        var gatesRow = gates.Slice((b - first) * gw, gw);
                        var hwRow = hw.AsSpan((b - first) * gw, gw);
                        var hNext = output.AsSpan((t * block) + (b * h), h);
                        switch (_mode)
                        {
                            case RecurrentMode.Lstm:
                                ReadOnlySpan<T> cPrev = t == 0 ? c0.AsSpan(b * h, h) : _cells!.Step((t - 1) % kept).Slice(b * h, h);
                                if (forBackward)
                                {
                                    LstmStep<KeepForBackward>(gatesRow, hwRow, cPrev, _cells!.Step(t % kept).Slice(b * h, h), _tanhCells!.Step(t % kept).Slice(b * h, h), hNext);
                                }
                                else
                                {
                                    LstmStep<ForwardOnly>(gatesRow, hwRow, cPrev, _cells!.Step(t % kept).Slice(b * h, h), default, hNext);
                                }
                                break;
                            case RecurrentMode.Gru:
                                GruStep(gatesRow, hwRow, bHn, hPrev.AsSpan((b - first) * h, h), _hiddenN!.Step(t % kept).Slice(b * h, h), hNext);
                                break;
                            default:
                                RnnStep(gatesRow, hwRow, hNext, _mode == RecurrentMode.RnnRelu);
                                break;
                        }
                    }
                }
            }
        });

        if (_mode == RecurrentMode.Lstm)
        {
            _cells!.Step((_steps - 1) % kept).CopyTo(cLast);
        }

        if (!forBackward)
        {
            foreach (var buffer in (StepBuffer?[])[xw, _cells, _tanhCells, _hiddenN])
            {
                buffer?.Return();
            }

            (_gates, _cells, _tanhCells, _hiddenN) = (null, null, null, null);
        }
    }

    /// <summary>Adds <paramref name="bias"/> to each row of <paramref name="rows"/> (rows of bias.Length).</summary>
    private static void AddBias(Span<T> rows, ReadOnlySpan<T> bias)
    {
        for (int r = 0; r < rows.Length; r += bias.Length)
        {
            var row = rows.Slice(r, bias.Length);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    /// <summary>
    /// W_hh packed once for all steps' products of one call (float32, more than one sequence and one
    /// step), into the calling thread's pinned <paramref name="buffer"/>, kept for its next call:
    /// otherwise each step's GEMM packs it again on every thread. The same loop nests read it, so the
    /// same bits. Null where the steps read W_hh as stored: one sequence (the one-row product, which
    /// reads no panels), one step, other element types.
    /// </summary>
    private Sgemm.PackedB? PackStepWeight(bool transB, int k, int n, T[] wHh, ref float[]? buffer) =>
        typeof(T) == typeof(float) && _batch > 1 && _steps > 1 ? Sgemm.PackReusing(transB, k, n, (float[])(object)wHh, ref buffer) : null;

    /// <summary>
    /// One step's product of a thread's rows with W_hh: c[rows×n] (+)= a·op(W_hh), from the panels
    /// <see cref="PackStepWeight"/> made when there are some, else from W_hh as stored. A range of
    /// rows stays on the GEMM unless the whole batch is one sequence (see Forward), so its bits do not
    /// depend on the thread count.
    /// </summary>
    private void StepProduct(Sgemm.PackedB? packed, bool transB, int rows, int n, int k, ArraySegment<T> a, T[] wHh, ArraySegment<T> c, bool accumulate)
    {
        if (packed is not null)
        {
            Sgemm.Multiply(false, rows, MemoryMarshal.Cast<T, float>(a.AsSpan()), packed, MemoryMarshal.Cast<T, float>(c.AsSpan()), accumulate, oneRowKernel: false);
        }
        else
        {
            Gemm.Multiply<T>(false, transB, rows, n, k, a, wHh, c, accumulate, oneRowKernel: _batch == 1);
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
        int h = _hidden, gw = _gateWidth, block = _batch * h;

        // dxw: dL/d(pre-activation) as the input side sees it; dhw: as the hidden side sees it.
        // They differ only for GRU's n gate, whose hidden part is scaled by r.
        // Both live only inside this call, so they come from (and go back to) the array pool.
        var dxw = new StepBuffer(_steps, _batch * gw, pooled: true);
        var dhw = _mode == RecurrentMode.Gru ? new StepBuffer(_steps, _batch * gw, pooled: true) : dxw;
        var dhCarry = new T[block];
        var dc = _mode == RecurrentMode.Lstm ? gCLast.ToArray() : null;
        // Back through time, rows split across threads as in Forward. dL/dh_t is dL/dh_t from the
        // output plus dL/dh_t through step t + 1 (dhCarry); each step is one fused pass over the gates
        // and one GEMM dL/dh_{t−1} = dhw_t·W_hh (+ GRU's direct path z·dh, already in dhCarry).
        var packedHh = PackStepWeight(transB: false, gw, h, wHh, ref t_packedBackward);
        Threading.For(_batch, (long)_steps * gw * (h + 32), piecesPerThread: 1, (first, end) =>
        {
            int rows = end - first;
            for (int t = _steps - 1; t >= 0; t--)
            {
                var dxwStep = dxw.Step(t);
                for (int b = first; b < end; b++)
                {
                    var gOut = gOutput.AsSpan((t * block) + (b * h), h);
                    var carry = dhCarry.AsSpan(b * h, h);
                    var dxwRow = dxwStep.Slice(b * gw, gw);
                    switch (_mode)
                    {
                        case RecurrentMode.Lstm:
                            ReadOnlySpan<T> cPrev = t == 0 ? c0.AsSpan(b * h, h) : _cells!.Step(t - 1).Slice(b * h, h);
                            LstmStepBackward(_gates!.Step(t).Slice(b * gw, gw), _tanhCells!.Step(t).Slice(b * h, h), cPrev, gOut, carry, dc.AsSpan(b * h, h), dxwRow);
                            break;
                        case RecurrentMode.Gru:
                            ReadOnlySpan<T> hPrev = t == 0 ? h0.AsSpan(b * h, h) : output.AsSpan(((t - 1) * block) + (b * h), h);
                            GruStepBackward(_gates!.Step(t).Slice(b * gw, gw), _hiddenN!.Step(t).Slice(b * h, h), hPrev, gOut, carry, dxwRow, dhw.Step(t).Slice(b * gw, gw));
                            break;
                        default:
                            RnnStepBackward(output.AsSpan((t * block) + (b * h), h), gOut, carry, dxwRow, _mode == RecurrentMode.RnnTanh);
                            break;
                    }
                }

                if (t > 0 || gh0 is not null)
                {
                    var step = dhw.Segment(t);
                    StepProduct(packedHh, transB: false, rows, h, gw, new ArraySegment<T>(step.Array!, step.Offset + (first * gw), rows * gw), wHh, new ArraySegment<T>(dhCarry, first * h, rows * h), accumulate: _mode == RecurrentMode.Gru);
                }
            }
        });

        if (gh0 is not null)
        {
            dhCarry.CopyTo(gh0, 0);
        }

        if (gc0 is not null)
        {
            dc.AsSpan().CopyTo(gc0);
        }

        // The weight gradients sum over all steps: one GEMM per chunk of steps. Where both sides saw the
        // same dL/d(pre-activation) (all but GRU) and both weights need a gradient, one GEMM gives both:
        // dxwᵀ·[x_t | h_{t−1}], G·H × (input + H), split into dW_ih and dW_hh below, so dxw is packed
        // once for both instead of once for each, and the input side's product no longer has only
        // input (28) rows to share each packed panel of dxw between (the row-LSTM's two weight
        // gradients: 1.20 → 0.92 s per epoch of bench lstm). dW_hh no longer sums its first step apart.
        // With b_ih's gradient wanted and room in the last panel of B (156 → 157 columns of 160 for
        // LSTM(128) on 28 inputs), a column of ones joins them, and the product's last column is
        // Σ_rows dxw, the bias gradient, instead of a pass over the chunk on the calling thread (2 % of
        // bench lstm's epoch). The rows are then summed in the GEMM's order, not one by one. Where the
        // column would take a panel of its own (LSTM(128) on 32 inputs: 160 → 161) the pass was 3–7 %
        // faster over the backward (block 16).
        bool joint = dhw == dxw && gWIh is not null && gWHh is not null;
        bool biasColumn = joint && gBIh is not null && typeof(T) == typeof(float) && Sgemm.HasSpareColumn(_input + h);
        int width = _input + h + (biasColumn ? 1 : 0);
        var gW = joint ? new T[gw * width] : null;
        var joined = joint ? System.Buffers.ArrayPool<T>.Shared.Rent(dxw.MaxChunkSteps * _batch * width) : null;
        var gWIhT = gWIh is not null && !joint ? new T[_input * gw] : null;
        foreach (var (first, count, chunk) in dxw.Chunks())
        {
            int rows = count * _batch;
            if (gx is not null)
            {
                Gemm.Multiply<T>(false, false, rows, _input, gw, chunk, wIh, new ArraySegment<T>(gx, first * _batch * _input, rows * _input));
            }

            if (joined is not null)
            {
                JoinInputs(x, h0, output, first, count, joined, width);
                Gemm.Multiply<T>(true, false, gw, width, rows, chunk, new ArraySegment<T>(joined, 0, rows * width), gW!, accumulate: first > 0);
            }
            else if (gWIhT is not null)
            {
                // xᵀ·dxw (input × G·H), transposed into place below: the wide output makes a faster GEMM
                // than dxwᵀ·x with its narrow (input-sized) one.
                Gemm.Multiply<T>(true, false, _input, gw, rows, new ArraySegment<T>(x, first * _batch * _input, rows * _input), chunk, gWIhT, accumulate: first > 0);
            }

            if (gBIh is not null && !biasColumn)
            {
                SumRows(chunk, rows, gBIh, accumulate: first > 0);
            }
        }

        if (joined is not null)
        {
            System.Buffers.ArrayPool<T>.Shared.Return(joined);
            for (int r = 0; r < gw; r++)
            {
                gW.AsSpan(r * width, _input).CopyTo(gWIh.AsSpan(r * _input, _input));
                gW.AsSpan((r * width) + _input, h).CopyTo(gWHh.AsSpan(r * h, h));
                if (biasColumn)
                {
                    gBIh![r] = gW![(r * width) + _input + h];
                }
            }
        }

        if (gWIhT is not null)
        {
            for (int r = 0; r < gw; r++)
            {
                for (int i = 0; i < _input; i++)
                {
                    gWIh![(r * _input) + i] = gWIhT[(i * gw) + r];
                }
            }
        }

        foreach (var (first, count, chunk) in dhw.Chunks())
        {
            if (gWHh is not null && !joint)
            {
                // Σ_t dhw_tᵀ·h_{t−1}: h_0 for t = 0, then h_1 … h_{T−1}, which sit contiguously in output.
                int skip = 0;
                if (first == 0)
                {
                    Gemm.Multiply<T>(true, false, gw, h, _batch, new ArraySegment<T>(chunk, 0, _batch * gw), h0, gWHh);
                    skip = 1;
                }

                if (count > skip)
                {
                    int rows = (count - skip) * _batch;
                    Gemm.Multiply<T>(true, false, gw, h, rows, new ArraySegment<T>(chunk, skip * _batch * gw, rows * gw), new ArraySegment<T>(output, (first + skip - 1) * block, rows * h), gWHh, accumulate: true);
                }
            }

            // Without GRU's split, both sides saw the same dL/d(pre-activation): b_hh's sum is b_ih's.
            if (gBHh is not null && (dhw != dxw || gBIh is null))
            {
                SumRows(chunk, count * _batch, gBHh, accumulate: first > 0);
            }
        }

        if (gBHh is not null && dhw == dxw && gBIh is not null)
        {
            gBIh.CopyTo(gBHh, 0);
        }

        dxw.Return();
        if (dhw != dxw)
        {
            dhw.Return();
        }
    }

    // The gate passes. Each is written once, generic over the vector width (Kernels/SimdVector.cs),
    // and runs 512-bit lanes where the CPU accelerates them, then 256- and 128-bit lanes on what is
    // left, then one element at a time through the same body (Simd1). Where each element goes depends only on the hidden size, never on the
    // batch rows a thread took, so results stay the same for any thread count; the recorded and the
    // inference forward run the same code.

    /// <summary>
    /// One LSTM row in one pass: gates holds the x-side pre-activations and hw the h-side ones;
    /// gates is overwritten with i = σ, f = σ, g = tanh, o = σ of their sums; c = f·c_prev + i·g,
    /// tanh(c) is kept, h = o·tanh(c). With <see cref="ForwardOnly"/> (an inference forward) only c and
    /// h are written: the activated gates and tanh(c) serve only the backward pass. The choice is a
    /// type, so each form is compiled without the other's stores (a run-time flag pushed the loop past
    /// the JIT's inlining budget, leaving calls to the vector stores in it).
    /// </summary>
    private static void LstmStep<TKeep>(Span<T> gates, ReadOnlySpan<T> hw, ReadOnlySpan<T> cPrev, Span<T> c, Span<T> tanhC, Span<T> hNext)
        where TKeep : struct, IStoreChoice
    {
        int j = LstmLanes<Simd512<T>, TKeep>(gates, hw, cPrev, c, tanhC, hNext, 0);
        j = LstmLanes<Simd256<T>, TKeep>(gates, hw, cPrev, c, tanhC, hNext, j);
        j = LstmLanes<Simd128<T>, TKeep>(gates, hw, cPrev, c, tanhC, hNext, j);
        LstmLanes<Simd1<T>, TKeep>(gates, hw, cPrev, c, tanhC, hNext, j);
    }

    /// <summary><see cref="LstmStep"/> on whole vectors of <typeparamref name="V"/> from element <paramref name="j"/>; returns where it stopped.</summary>
    private static int LstmLanes<V, TKeep>(Span<T> gates, ReadOnlySpan<T> hw, ReadOnlySpan<T> cPrev, Span<T> c, Span<T> tanhC, Span<T> hNext, int j)
        where V : struct, ISimdVector<V, T>
        where TKeep : struct, IStoreChoice
    {
        if (!V.IsHardwareAccelerated)
        {
            return j;
        }

        for (int h = c.Length; j <= h - V.Count; j += V.Count)
        {
            var i = Sigmoid(V.Load(gates[j..]) + V.Load(hw[j..]));
            var f = Sigmoid(V.Load(gates[(h + j)..]) + V.Load(hw[(h + j)..]));
            var g = Tanh(V.Load(gates[((2 * h) + j)..]) + V.Load(hw[((2 * h) + j)..]));
            var o = Sigmoid(V.Load(gates[((3 * h) + j)..]) + V.Load(hw[((3 * h) + j)..]));
            var cj = (f * V.Load(cPrev[j..])) + (i * g);
            var tc = Tanh(cj);
            if (TKeep.KeepsForBackward)
            {
                i.Store(gates[j..]);
                f.Store(gates[(h + j)..]);
                g.Store(gates[((2 * h) + j)..]);
                o.Store(gates[((3 * h) + j)..]);
                tc.Store(tanhC[j..]);
            }

            cj.Store(c[j..]);
            (o * tc).Store(hNext[j..]);
        }

        return j;
    }

    /// <summary>
    /// One GRU row in one pass: gates holds the x-side pre-activations (r and z with both biases,
    /// n with b_in) and is overwritten with r, z, n; hn = W_hn h + b_hn is kept;
    /// n = tanh(x_n + r·hn), h' = (1 − z)·n + z·h = n + z·(h − n).
    /// </summary>
    private static void GruStep(Span<T> gates, ReadOnlySpan<T> hw, ReadOnlySpan<T> bHn, ReadOnlySpan<T> hPrev, Span<T> hn, Span<T> hNext)
    {
        int j = GruLanes<Simd512<T>>(gates, hw, bHn, hPrev, hn, hNext, 0);
        j = GruLanes<Simd256<T>>(gates, hw, bHn, hPrev, hn, hNext, j);
        j = GruLanes<Simd128<T>>(gates, hw, bHn, hPrev, hn, hNext, j);
        GruLanes<Simd1<T>>(gates, hw, bHn, hPrev, hn, hNext, j);
    }

    /// <summary><see cref="GruStep"/> on whole vectors of <typeparamref name="V"/> from element <paramref name="j"/>; returns where it stopped.</summary>
    private static int GruLanes<V>(Span<T> gates, ReadOnlySpan<T> hw, ReadOnlySpan<T> bHn, ReadOnlySpan<T> hPrev, Span<T> hn, Span<T> hNext, int j)
        where V : struct, ISimdVector<V, T>
    {
        if (!V.IsHardwareAccelerated)
        {
            return j;
        }

        for (int h = hn.Length; j <= h - V.Count; j += V.Count)
        {
            var r = Sigmoid(V.Load(gates[j..]) + V.Load(hw[j..]));
            var z = Sigmoid(V.Load(gates[(h + j)..]) + V.Load(hw[(h + j)..]));
            var hnj = V.Load(hw[((2 * h) + j)..]);
            if (!bHn.IsEmpty)
            {
                hnj += V.Load(bHn[j..]);
            }

            var n = Tanh(V.Load(gates[((2 * h) + j)..]) + (r * hnj));
            r.Store(gates[j..]);
            z.Store(gates[(h + j)..]);
            n.Store(gates[((2 * h) + j)..]);
            hnj.Store(hn[j..]);
            (n + (z * (V.Load(hPrev[j..]) - n))).Store(hNext[j..]);
        }

        return j;
    }

    /// <summary>One Elman row: h' = tanh or relu of (x-side + h-side pre-activation).</summary>
    private static void RnnStep(ReadOnlySpan<T> xw, ReadOnlySpan<T> hw, Span<T> hNext, bool relu)
    {
        TensorPrimitives.Add(xw, hw, hNext);
        if (relu)
        {
            TensorPrimitives.Max(hNext, T.Zero, hNext);
        }
        else
        {
            TensorPrimitives.Tanh(hNext, hNext);
        }
    }

    /// <summary>
    /// One Elman row backward: with dh = gOut + dhCarry, dL/da = dh·(1 − h²) for tanh, dh where
    /// h &gt; 0 for relu.
    /// </summary>
    private static void RnnStepBackward(ReadOnlySpan<T> hNext, ReadOnlySpan<T> gOut, ReadOnlySpan<T> dhCarry, Span<T> da, bool tanh)
    {
        for (int j = 0; j < da.Length; j++)
        {
            T dh = gOut[j] + dhCarry[j];
            da[j] = tanh ? dh * (T.One - (hNext[j] * hNext[j])) : (hNext[j] > T.Zero ? dh : T.Zero);
        }
    }

    /// <summary>
    /// One LSTM row backward. With dh = gOut + dhCarry and dc_total = dc + dh·o·(1 − tanh²c):
    /// d(pre i) = dc_total·g·i(1 − i), d(pre f) = dc_total·c_prev·f(1 − f), d(pre g) = dc_total·i·(1 − g²),
    /// d(pre o) = dh·tanh c·o(1 − o); dc becomes dL/dc_prev = dc_total·f.
    /// </summary>
    private static void LstmStepBackward(ReadOnlySpan<T> gates, ReadOnlySpan<T> tanhC, ReadOnlySpan<T> cPrev, ReadOnlySpan<T> gOut, ReadOnlySpan<T> dhCarry, Span<T> dc, Span<T> dGates)
    {
        int j = LstmBackwardLanes<Simd512<T>>(gates, tanhC, cPrev, gOut, dhCarry, dc, dGates, 0);
        j = LstmBackwardLanes<Simd256<T>>(gates, tanhC, cPrev, gOut, dhCarry, dc, dGates, j);
        j = LstmBackwardLanes<Simd128<T>>(gates, tanhC, cPrev, gOut, dhCarry, dc, dGates, j);
        LstmBackwardLanes<Simd1<T>>(gates, tanhC, cPrev, gOut, dhCarry, dc, dGates, j);
    }

    /// <summary><see cref="LstmStepBackward"/> on whole vectors of <typeparamref name="V"/> from element <paramref name="j"/>; returns where it stopped.</summary>
    private static int LstmBackwardLanes<V>(ReadOnlySpan<T> gates, ReadOnlySpan<T> tanhC, ReadOnlySpan<T> cPrev, ReadOnlySpan<T> gOut, ReadOnlySpan<T> dhCarry, Span<T> dc, Span<T> dGates, int j)
        where V : struct, ISimdVector<V, T>
    {
        if (!V.IsHardwareAccelerated)
        {
            return j;
        }

        var one = V.One;
        for (int h = dc.Length; j <= h - V.Count; j += V.Count)
        {
            var i = V.Load(gates[j..]);
            var f = V.Load(gates[(h + j)..]);
            var g = V.Load(gates[((2 * h) + j)..]);
            var o = V.Load(gates[((3 * h) + j)..]);
            var tc = V.Load(tanhC[j..]);
            var dh = V.Load(gOut[j..]) + V.Load(dhCarry[j..]);
            var dcTotal = V.Load(dc[j..]) + (dh * o * (one - (tc * tc)));
            (dcTotal * f).Store(dc[j..]);
            (dcTotal * g * i * (one - i)).Store(dGates[j..]);
            (dcTotal * V.Load(cPrev[j..]) * f * (one - f)).Store(dGates[(h + j)..]);
            (dcTotal * i * (one - (g * g))).Store(dGates[((2 * h) + j)..]);
            (dh * tc * o * (one - o)).Store(dGates[((3 * h) + j)..]);
        }

        return j;
    }

    /// <summary>
    /// One GRU row backward. With dh = gOut + dhCarry and h' = n + z·(h − n): d(pre n) = dh·(1 − z)·(1 − n²),
    /// d(pre r) = d(pre n)·hn·r(1 − r), d(pre z) = dh·(h − n)·z(1 − z); the x side gets d(pre n), the
    /// hidden side d(pre n)·r; dhCarry becomes the direct path dL/dh_prev = dh·z (the GEMM adds the rest).
    /// </summary>
    private static void GruStepBackward(ReadOnlySpan<T> gates, ReadOnlySpan<T> hn, ReadOnlySpan<T> hPrev, ReadOnlySpan<T> gOut, Span<T> dhCarry, Span<T> dxw, Span<T> dhw)
    {
        int j = GruBackwardLanes<Simd512<T>>(gates, hn, hPrev, gOut, dhCarry, dxw, dhw, 0);
        j = GruBackwardLanes<Simd256<T>>(gates, hn, hPrev, gOut, dhCarry, dxw, dhw, j);
        j = GruBackwardLanes<Simd128<T>>(gates, hn, hPrev, gOut, dhCarry, dxw, dhw, j);
        GruBackwardLanes<Simd1<T>>(gates, hn, hPrev, gOut, dhCarry, dxw, dhw, j);
    }

    /// <summary><see cref="GruStepBackward"/> on whole vectors of <typeparamref name="V"/> from element <paramref name="j"/>; returns where it stopped.</summary>
    private static int GruBackwardLanes<V>(ReadOnlySpan<T> gates, ReadOnlySpan<T> hn, ReadOnlySpan<T> hPrev, ReadOnlySpan<T> gOut, Span<T> dhCarry, Span<T> dxw, Span<T> dhw, int j)
        where V : struct, ISimdVector<V, T>
    {
        if (!V.IsHardwareAccelerated)
        {
            return j;
        }

        var one = V.One;
        for (int h = hn.Length; j <= h - V.Count; j += V.Count)
        {
            var r = V.Load(gates[j..]);
            var z = V.Load(gates[(h + j)..]);
            var n = V.Load(gates[((2 * h) + j)..]);
            var dh = V.Load(gOut[j..]) + V.Load(dhCarry[j..]);
            var dan = dh * (one - z) * (one - (n * n));
            var dar = dan * V.Load(hn[j..]) * r * (one - r);
            var daz = dh * (V.Load(hPrev[j..]) - n) * z * (one - z);
            dar.Store(dxw[j..]);
            dar.Store(dhw[j..]);
            daz.Store(dxw[(h + j)..]);
            daz.Store(dhw[(h + j)..]);
            dan.Store(dxw[((2 * h) + j)..]);
            (dan * r).Store(dhw[((2 * h) + j)..]);
            (dh * z).Store(dhCarry[j..]);
        }

        return j;
    }

    /// <summary>σ(x) = 1/(1 + e^(−x)); e^(−x) = ∞ gives exactly 0, never NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static V Sigmoid<V>(V x)
        where V : struct, ISimdVector<V, T> => V.One / (V.One + SimdMath.Exp<V, T>(-x));

    /// <summary>tanh(x) = 2σ(2x) − 1: one exponential, and ±1 (not NaN) for large |x|.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static V Tanh<V>(V x)
        where V : struct, ISimdVector<V, T>
    {
        var two = V.Create(T.One + T.One);
        return (two * Sigmoid(two * x)) - V.One;
    }

    /// <summary>
    /// Rows [x_t | h_{t−1}] (input + H floats each, then a 1 when <paramref name="width"/> has room for
    /// it) of the <paramref name="count"/> steps from <paramref name="first"/>, every batch row of each
    /// step, into <paramref name="joined"/>: the right operand of the joint weight-gradient product.
    /// h_{−1} is h0.
    /// </summary>
    private void JoinInputs(T[] x, T[] h0, T[] output, int first, int count, T[] joined, int width)
    {
        int h = _hidden, block = _batch * h;
        bool one = width > _input + h;
        Threading.For(count * _batch, width, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                int t = first + (r / _batch), b = r % _batch;
                var row = joined.AsSpan(r * width, width);
                x.AsSpan(((t * _batch) + b) * _input, _input).CopyTo(row);
                (t == 0 ? h0.AsSpan(b * h, h) : output.AsSpan(((t - 1) * block) + (b * h), h)).CopyTo(row[_input..]);
                if (one)
                {
                    row[^1] = T.One;
                }
            }
        });
    }

    /// <summary>sum[j] (+)= Σ_r m[r, j] over the first <paramref name="rows"/> rows of a (rows × sum.Length) matrix.</summary>
    private static void SumRows(T[] m, int rows, T[] sum, bool accumulate)
    {
        int n = sum.Length;
        if (!accumulate)
        {
            Array.Clear(sum);
        }

        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.Add(sum, m.AsSpan(r * n, n), sum);
        }
    }

    /// <summary>
    /// One array per time step's worth of values (stepLength each), stored in chunks of whole steps
    /// of at most about 2 MB. Arrays above about 4 MB land on the large-object heap whatever
    /// LOHThreshold says (they do not fit a young-generation region), and that heap is only swept by
    /// gen 2 collections: one contiguous (steps·batch × 4·hidden) buffer made every training step a
    /// gen 2 collection. Chunks of 2 MB still make GEMMs of hundreds of rows.
    /// </summary>
    private sealed class StepBuffer
    {
        private const int ChunkBytes = 2 << 20;
        private readonly T[][] _chunks;
        private readonly int _stepsPerChunk;
        private readonly int _stepLength;
        private readonly int _steps;

        private readonly bool _pooled;

        /// <summary>Uninitialized storage; rented from <see cref="System.Buffers.ArrayPool{T}.Shared"/> when <paramref name="pooled"/>, to be given back with <see cref="Return"/>.</summary>
        public StepBuffer(int steps, int stepLength, bool pooled = false)
        {
            _steps = steps;
            _stepLength = stepLength;
            _pooled = pooled;
            _stepsPerChunk = Math.Max(1, ChunkBytes / Math.Max(1, stepLength * System.Runtime.CompilerServices.Unsafe.SizeOf<T>()));
            _chunks = new T[(steps + _stepsPerChunk - 1) / _stepsPerChunk][];
            for (int c = 0; c < _chunks.Length; c++)
            {
                int length = Math.Min(_stepsPerChunk, steps - (c * _stepsPerChunk)) * stepLength;
                _chunks[c] = pooled ? System.Buffers.ArrayPool<T>.Shared.Rent(length) : GC.AllocateUninitializedArray<T>(length);
            }
        }

        /// <summary>The most steps one chunk holds.</summary>
        public int MaxChunkSteps => Math.Min(_stepsPerChunk, _steps);

        /// <summary>Gives pooled chunks back; the buffer must not be used afterwards.</summary>
        public void Return()
        {
            for (int c = 0; _pooled && c < _chunks.Length; c++)
            {
                System.Buffers.ArrayPool<T>.Shared.Return(_chunks[c]);
                _chunks[c] = [];
            }
        }

        /// <summary>The values of step <paramref name="t"/>.</summary>
        public Span<T> Step(int t) => _chunks[t / _stepsPerChunk].AsSpan((t % _stepsPerChunk) * _stepLength, _stepLength);

        /// <summary>The values of step <paramref name="t"/>, as a segment for GEMM.</summary>
        public ArraySegment<T> Segment(int t) => new(_chunks[t / _stepsPerChunk], (t % _stepsPerChunk) * _stepLength, _stepLength);

        /// <summary>Each chunk with its first step and its number of steps (a pooled chunk may be longer than count steps).</summary>
        public IEnumerable<(int First, int Count, T[] Chunk)> Chunks()
        {
            for (int c = 0; c < _chunks.Length; c++)
            {
                int first = c * _stepsPerChunk;
                yield return (first, Math.Min(_stepsPerChunk, _steps - first), _chunks[c]);
            }
        }
    }

    /// <summary>Whether a step's pass keeps what the backward pass reads (a type, so the choice is made at compile time).</summary>
    private interface IStoreChoice
    {
        static abstract bool KeepsForBackward { get; }
    }

    private readonly struct KeepForBackward : IStoreChoice
    {
        public static bool KeepsForBackward => true;
    }

    private readonly struct ForwardOnly : IStoreChoice
    {
        public static bool KeepsForBackward => false;
    }
}
