using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels;

/// <summary>
/// Packed, register-blocked, cache-blocked float32 GEMM in the GotoBLAS/BLIS scheme:
/// C[m×n] (+)= op(A)·op(B), row-major. Blocks of op(A) are packed into MR-row panels and blocks of
/// op(B) into NR-column panels (the packing reads through the transpose flags, so no transpose is
/// ever materialized); a micro-kernel keeps an MR×NR block of C in vector registers over a KC-long
/// stretch of k. Edge panels are zero-padded and partial tiles go through a small buffer.
/// </summary>
/// <remarks>
/// Threads split the output (row panels or column panels), never k, and every element's sum runs
/// over the same KC blocks in the same order, so results are bit-identical for any thread count.
/// </remarks>
internal static unsafe partial class Sgemm
{
    /// <summary>The instruction set a kernel configuration uses.</summary>
    internal enum Isa
    {
        /// <summary>Plain scalar code (any CPU).</summary>
        Scalar,

        /// <summary>Vector256 with FMA3.</summary>
        Avx2,

        /// <summary>Vector512 with AVX-512F FMA.</summary>
        Avx512,
    }

    /// <summary>The best instruction set this CPU supports.</summary>
    internal static readonly Isa Best =
        Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? Isa.Avx512
        : Avx2.IsSupported && Fma.IsSupported ? Isa.Avx2
        : Isa.Scalar;

    /// <summary>A micro-kernel and its blocking: MR×NR register tile, KC×NC packed B block, MC×KC packed A block.</summary>
    internal sealed class Config
    {
        public required delegate*<int, float*, float*, float*, int, bool, void> Kernel { get; init; }

        /// <summary>
        /// The same micro-kernel reading an untransposed A where it is stored (kc, a, lda, b, c, ldc,
        /// accumulate): the same FMAs in the same order, so the same bits, without packing A. Null
        /// where a tile has none.
        /// </summary>
        public delegate*<int, float*, int, float*, float*, int, bool, void> DirectKernel { get; init; }

        /// <summary>
        /// The micro-kernel completing the sums with an <see cref="Epilogue"/> in registers (kc, a, b, c,
        /// ldc, accumulate, the bias of the tile's first column or null, relu), and its direct form; null
        /// where a tile has none, and then the epilogue runs over the stored tile. Applied after the store,
        /// it read back lines of a fresh C still being fetched and ran slower than a separate pass (block 16).
        /// </summary>
        public delegate*<int, float*, float*, float*, int, bool, float*, bool, void> FinishKernel { get; init; }

        /// <summary><see cref="FinishKernel"/> reading A where it is stored, as <see cref="DirectKernel"/>.</summary>
        public delegate*<int, float*, int, float*, float*, int, bool, float*, bool, void> FinishDirectKernel { get; init; }

        /// <summary>
        /// Whether the direct kernel gives way to packing when more rows of an MC block start on one L2
        /// set than the cache has ways (<see cref="CpuModel.RowsPerL2Set"/>): then every pass over the
        /// block's NR-column panels finds its A rows evicted by each other.
        /// </summary>
        public bool PacksCrowdedRows { get; init; }

        public required int MR { get; init; }

        public required int NR { get; init; }

        public required int KC { get; init; }

        public required int MC { get; init; }

        public required int NC { get; init; }
    }

    internal static readonly Config Avx512Config = new()
    {
        Kernel = &Kernel512_8x32, DirectKernel = &Kernel512_8x32Direct, FinishKernel = &Kernel512_8x32Finish, FinishDirectKernel = &Kernel512_8x32DirectFinish,
        MR = 8, NR = 32, KC = 1024, MC = 160, NC = 1024,
    };

    // For n ≤ 16 (classifier heads, their backward) a one-vector-wide tile wastes less than half of 8×32.
    private static readonly Config Avx512NarrowConfig = new() { Kernel = &Kernel512_16x16, MR = 16, NR = 16, KC = 1024, MC = 160, NC = 1024 };

    // The 6×16 tile passes over its A rows NC / 16 = 128 times per block, 1 KB of each row at a time: with
    // rows 8 KB apart (n = 2048) 18 of the 144 start on each set of the Zen 5's 16-way L2, and packing A
    // ran 3-7 % faster at 1 and 2 threads (block 15 of docs/performance-history.md). The 8×32 AVX-512
    // tile (32 passes, 4 KB of each row) ran as fast or faster reading A in place there, so it never packs.
    internal static readonly Config Avx2Config = new()
    {
        Kernel = &Kernel256_6x16, DirectKernel = &Kernel256_6x16Direct, FinishKernel = &Kernel256_6x16Finish, FinishDirectKernel = &Kernel256_6x16DirectFinish,
        MR = 6, NR = 16, KC = 256, MC = 144, NC = 2048, PacksCrowdedRows = true,
    };

    private static readonly Config ScalarConfig = new() { Kernel = &KernelScalar, MR = ScalarMR, NR = ScalarNR, KC = 256, MC = 128, NC = 1024 };

    private const int ScalarMR = 4;
    private const int ScalarNR = 4;

    // Below this many multiply-adds per thread a hand-off costs more than it saves.
    private const long MinWorkPerThread = 1 << 17;

    // Up to this many multiply-adds (32 M: the MLP's and the LSTM recurrence's products at batch 128)
    // the shared nest gives each thread one block of the output.
    private const long SmallProduct = 1 << 25;

    // The shared packed operand of the multithreaded nest, kept for the next call (taken with an exchange,
    // so two GEMMs running at once on different threads never share it), and its size limit: 2 M floats
    // (8 MB, a quarter of the L3 of the machines measured); larger operands take the static split, where
    // each thread packs its own blocks of B as it goes and finds them in its cache. At 4 M floats,
    // n = 2048 (16 MB of B packed before any product) ran 8-11 % slower on the Zen 5 with AVX-512 and
    // 4-5 % slower on its AVX2 path (block 14 of docs/performance-history.md).
    private static float[]? s_shared;
    private const long MaxSharedFloats = 1 << 21;

    [ThreadStatic]
    private static float[]? t_packA;

    [ThreadStatic]
    private static float[]? t_packB;

    [ThreadStatic]
    private static float[]? t_tile;

    /// <summary>
    /// C[m×n] (+)= op(A)·op(B) with op(A) m×k and op(B) k×n, all row-major and contiguous. A is stored
    /// m×k (k×m if <paramref name="transA"/>), B is stored k×n (n×k if <paramref name="transB"/>).
    /// </summary>
    /// <remarks>
    /// A one-row product normally runs through <see cref="Gemv"/>, which sums in another order than the
    /// blocked GEMM. <paramref name="oneRowKernel"/> false keeps it on the GEMM, so a row gets the bits
    /// it would get inside a larger product: callers that split a product's rows across threads pass it,
    /// or a share of one row would make the result depend on the thread count.
    /// </remarks>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate = false, bool oneRowKernel = true)
        => Multiply(Best, transA, transB, m, n, k, a, b, c, accumulate, oneRowKernel);

    /// <summary>
    /// C[m×n] = op(A)·op(B) + <paramref name="bias"/> (one value per column; empty for none), then
    /// max(·, 0) when <paramref name="relu"/>: a Linear layer's forward in one call, the bias and the
    /// activation applied to each tile as its sums complete (<see cref="Epilogue"/>). The same bits as
    /// the product followed by those passes.
    /// </summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, ReadOnlySpan<float> bias, bool relu)
        => Multiply(Best, transA, transB, m, n, k, a, b, c, bias: bias, relu: relu);

    /// <summary>As <see cref="Multiply(bool, bool, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, bool, bool)"/> with the kernel of a given instruction set (tests run every one the CPU supports), and optionally a bias and ReLU as in <see cref="Multiply(bool, bool, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, bool)"/> (not with <paramref name="accumulate"/>).</summary>
    internal static void Multiply(Isa isa, bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate = false, bool oneRowKernel = true, ReadOnlySpan<float> bias = default, bool relu = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
        {
            throw new ArgumentException($"buffers too small for {m}×{k}·{k}×{n}: a {a.Length}, b {b.Length}, c {c.Length}");
        }

        if (isa > Best)
        {
            throw new PlatformNotSupportedException($"{isa} kernels need a CPU with {isa}");
        }

        CheckEpilogue(n, bias, relu, accumulate);
        Config cfg = ConfigFor(isa, n);
        fixed (float* pa = a, pb = b, pc = c, pbias = bias)
        {
            var epilogue = new Epilogue(pbias, relu);
            if (IsEmpty(m, n, k, pc, accumulate, epilogue))
            {
                return;
            }

            Run(cfg, isa, transA, m, n, k, pa, new Operand(pb, transB ? k : n, transB, null, 0, 0), pc, accumulate, oneRowKernel, epilogue);
        }
    }

    /// <summary>Checks an epilogue's bias (one value per column, or none) and that it is not combined with accumulation.</summary>
    private static void CheckEpilogue(int n, ReadOnlySpan<float> bias, bool relu, bool accumulate)
    {
        if (!bias.IsEmpty && bias.Length < n)
        {
            throw new ArgumentException($"bias too small for {n} columns: {bias.Length}");
        }

        if (accumulate && (relu || !bias.IsEmpty))
        {
            throw new ArgumentException("a bias or ReLU applies to a product written, not accumulated");
        }
    }

    /// <summary>
    /// op(B) of a fixed k×n matrix (a layer's weights) packed once, for <see cref="Multiply(bool, int, ReadOnlySpan{float}, PackedB, Span{float}, bool, bool)"/>:
    /// its KC-deep blocks one after another, each holding every NR-column panel of all n columns (laid
    /// out as the GEMM packs them per call), so the serial nest finds any (KC, NC) block at one offset and
    /// the multithreaded nests read it as their shared operand; and a copy of B as stored, which the
    /// one-row product reads. Packed for one instruction set's kernel and tile; the copies are taken at
    /// <see cref="Pack(bool, int, int, ReadOnlySpan{float})"/>, so later changes to the source do not reach it.
    /// </summary>
    internal sealed class PackedB
    {
        private readonly float[] _panels;

        internal PackedB(Isa isa, Config config, bool transB, int k, int n, float[] source, float[] panels)
        {
            (Isa, Config, TransB, K, N, Source, _panels) = (isa, config, transB, k, n, source, panels);
        }

        /// <summary>The instruction set whose kernel the panels are laid out for.</summary>
        public Isa Isa { get; }

        /// <summary>Rows of op(B) (the depth of the product).</summary>
        public int K { get; }

        /// <summary>Columns of op(B) (the width of the product).</summary>
        public int N { get; }

        /// <summary>Whether B was stored n×k (transposed), as a Linear layer's weight is.</summary>
        public bool TransB { get; }

        /// <summary>B as it was stored (a copy, except from <see cref="PackReusing"/>): what the one-row product reads.</summary>
        public float[] Source { get; }

        internal Config Config { get; }

        /// <summary>The first packed float (64-byte aligned; the array is pinned).</summary>
        internal float* Panels => Align(_panels);

        /// <summary>Floats between two depth blocks' starts per row of depth: all n columns rounded up to whole panels.</summary>
        internal int Width => RoundUp(N, Config.NR);
    }

    /// <summary>
    /// Copies and packs op(B), with B stored k×n (n×k if <paramref name="transB"/>), for the kernel of
    /// the instruction set this process runs (<see cref="Best"/>, which DOTNET_EnableAVX512=0 and the
    /// like lower), in the layout its GEMM reads.
    /// </summary>
    public static PackedB Pack(bool transB, int k, int n, ReadOnlySpan<float> b) => Pack(Best, transB, k, n, b);

    /// <summary>As <see cref="Pack(bool, int, int, ReadOnlySpan{float})"/> for the kernel of a given instruction set (tests pack for every one the CPU supports).</summary>
    internal static PackedB Pack(Isa isa, bool transB, int k, int n, ReadOnlySpan<float> b)
    {
        CheckPack(isa, k, n, b.Length);
        var cfg = ConfigFor(isa, n);
        float[] panels = GC.AllocateUninitializedArray<float>(PanelFloats(cfg, k, n) + 16, pinned: true);
        return PackInto(isa, cfg, transB, k, n, b[..(k * n)].ToArray(), panels);
    }

    /// <summary>
    /// Packs op(B) as <see cref="Pack(bool, int, int, ReadOnlySpan{float})"/> does, for a product repeated
    /// within one call (a recurrent layer's steps), with nothing allocated that outlives it: the panels go
    /// into <paramref name="buffer"/>, a pinned array the caller keeps for the next call (allocated or
    /// grown here), and <paramref name="b"/> is not copied (the one-row product reads it in place). The
    /// result is valid while neither <paramref name="b"/> nor <paramref name="buffer"/> changes.
    /// </summary>
    internal static PackedB PackReusing(bool transB, int k, int n, float[] b, ref float[]? buffer)
    {
        ArgumentNullException.ThrowIfNull(b);
        CheckPack(Best, k, n, b.Length);
        var cfg = ConfigFor(Best, n);
        int floats = PanelFloats(cfg, k, n) + 16;
        if (buffer is null || buffer.Length < floats)
        {
            buffer = GC.AllocateUninitializedArray<float>(floats, pinned: true);
        }

        return PackInto(Best, cfg, transB, k, n, b, buffer);
    }

    private static void CheckPack(Isa isa, int k, int n, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (length < (long)k * n)
        {
            throw new ArgumentException($"buffer too small for {k}×{n}: b {length}");
        }

        if (isa > Best)
        {
            throw new PlatformNotSupportedException($"{isa} kernels need a CPU with {isa}");
        }
    }

    /// <summary>Floats the panels of a k×n op(B) take (all n columns rounded up to whole panels, k deep).</summary>
    private static int PanelFloats(Config cfg, int k, int n) => checked(RoundUp(n, cfg.NR) * k);

    /// <summary>Packs op(B), stored in <paramref name="source"/>, into <paramref name="panels"/> (pinned, at least <see cref="PanelFloats"/> + 16 floats).</summary>
    private static PackedB PackInto(Isa isa, Config cfg, bool transB, int k, int n, float[] source, float[] panels)
    {
        int width = RoundUp(n, cfg.NR);
        var packed = new PackedB(isa, cfg, transB, k, n, source, panels);
        fixed (float* pb = source)
        {
            for (int pcStart = 0; pcStart < k; pcStart += cfg.KC)
            {
                int kc = Math.Min(cfg.KC, k - pcStart);
                PackB(transB, pb, transB ? k : n, pcStart, 0, kc, n, cfg.NR, packed.Panels + ((long)pcStart * width));
            }
        }

        return packed;
    }

    /// <summary>
    /// C[m×n] (+)= op(A)·op(B) with op(B) packed beforehand by <see cref="Pack(bool, int, int, ReadOnlySpan{float})"/>:
    /// the same loop nests, threads and sums as <see cref="Multiply(bool, bool, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, bool, bool)"/>
    /// on the unpacked B, so the same bits, without packing B on every call. <paramref name="oneRowKernel"/> as there.
    /// </summary>
    public static void Multiply(bool transA, int m, ReadOnlySpan<float> a, PackedB b, Span<float> c, bool accumulate = false, bool oneRowKernel = true)
        => MultiplyPacked(transA, m, a, b, c, accumulate, oneRowKernel, default, relu: false);

    /// <summary>
    /// C[m×n] = op(A)·op(B) + <paramref name="bias"/>, then max(·, 0) when <paramref name="relu"/>, with
    /// op(B) packed beforehand: a frozen Linear layer's forward in one call (see
    /// <see cref="Multiply(bool, bool, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, bool)"/>);
    /// <paramref name="oneRowKernel"/> as in <see cref="Multiply(bool, int, ReadOnlySpan{float}, PackedB, Span{float}, bool, bool)"/>.
    /// </summary>
    public static void Multiply(bool transA, int m, ReadOnlySpan<float> a, PackedB b, Span<float> c, ReadOnlySpan<float> bias, bool relu, bool oneRowKernel = true)
        => MultiplyPacked(transA, m, a, b, c, accumulate: false, oneRowKernel, bias, relu);

    private static void MultiplyPacked(bool transA, int m, ReadOnlySpan<float> a, PackedB b, Span<float> c, bool accumulate, bool oneRowKernel, ReadOnlySpan<float> bias, bool relu)
    {
        ArgumentNullException.ThrowIfNull(b);
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        int n = b.N, k = b.K;
        if (a.Length < (long)m * k || c.Length < (long)m * n)
        {
            throw new ArgumentException($"buffers too small for {m}×{k}·{k}×{n}: a {a.Length}, c {c.Length}");
        }

        CheckEpilogue(n, bias, relu, accumulate);
        fixed (float* pa = a, pb = b.Source, pc = c, pbias = bias)
        {
            var epilogue = new Epilogue(pbias, relu);
            if (IsEmpty(m, n, k, pc, accumulate, epilogue))
            {
                return;
            }

            Run(b.Config, b.Isa, transA, m, n, k, pa, new Operand(pb, b.TransB ? k : n, b.TransB, b.Panels, b.Width, 0), pc, accumulate, oneRowKernel, epilogue);
        }
    }

    /// <summary>
    /// Whether the product has nothing to multiply: no output (m or n is 0), or k = 0, where C becomes
    /// 0 (kept when accumulating) and then gets the epilogue. Then it is done.
    /// </summary>
    private static bool IsEmpty(int m, int n, int k, float* c, bool accumulate, Epilogue epilogue)
    {
        if (m == 0 || n == 0)
        {
            return true;
        }

        if (k == 0 && !accumulate)
        {
            new Span<float>(c, m * n).Clear();
            epilogue.Apply(c, n, m, n, 0);
        }

        return k == 0;
    }

    /// <summary>
    /// Whether an n-column product by this process's kernels (<see cref="Best"/>) leaves a spare column
    /// in its last NR-wide panel of B, so one more column (a column of ones, say) costs no more
    /// arithmetic. (16 columns on AVX-512 fill the 16-wide tile's panel; a 17th would take the 32-wide tile.)
    /// </summary>
    internal static bool HasSpareColumn(int n) => n > 0 && n % ConfigFor(Best, n).NR != 0;

    /// <summary>
    /// The tile of an instruction set for an output n columns wide. Every configuration sums each
    /// element over the same KC blocks in order with one FMA per step, so picking the tile by shape
    /// changes speed only.
    /// </summary>
    private static Config ConfigFor(Isa isa, int n) => isa switch
    {
        Isa.Avx512 => n <= 16 ? Avx512NarrowConfig : Avx512Config,
        Isa.Avx2 => Avx2Config,
        _ => ScalarConfig,
    };

    /// <summary>
    /// B as the loop nests read it: stored (pointer, leading dimension, transposed or not), and packed
    /// beforehand when <see cref="Packed"/> is not zero (<see cref="PackedB"/>'s panels, <see cref="PackedWidth"/>
    /// floats per depth row, columns counted from <see cref="Column0"/> of the packed matrix). Pointers
    /// as nint, so the workers' lambdas can capture it.
    /// </summary>
    private readonly struct Operand(float* b, int ld, bool trans, float* packed, int packedWidth, int column0)
    {
        public readonly nint B = (nint)b;
        public readonly int Ld = ld;
        public readonly bool Trans = trans;
        public readonly nint Packed = (nint)packed;
        public readonly int PackedWidth = packedWidth;
        public readonly int Column0 = column0;

        /// <summary>Columns [j0, …) of this operand: the stored pointer moved, or the packed column offset.</summary>
        public Operand Columns(int j0) => Packed != 0
            ? new((float*)B, Ld, Trans, (float*)Packed, PackedWidth, Column0 + j0)
            : new(Trans ? (float*)B + ((long)j0 * Ld) : (float*)B + j0, Ld, Trans, null, 0, 0);

        /// <summary>op(B)[pc..pc+kc, jc..jc+nc] in NR-column panels: the prepacked block, or packed now into <paramref name="buffer"/>.</summary>
        public float* Block(int pc, int jc, int kc, int nc, int nr, float* buffer)
        {
            if (Packed != 0)
            {
                return (float*)Packed + ((long)pc * PackedWidth) + ((long)(Column0 + jc) * kc);
            }

            PackB(Trans, (float*)B, Ld, pc, jc, kc, nc, nr, buffer);
            return buffer;
        }
    }

    /// <summary>The product after the checks: one row by <see cref="Gemv"/>, else the serial nest or a multithreaded one.</summary>
    private static void Run(Config cfg, Isa isa, bool transA, int m, int n, int k, float* pa, Operand b, float* pc, bool accumulate, bool oneRowKernel, Epilogue epilogue)
    {
        if (m == 1 && oneRowKernel)
        {
            // One row (a batch-1 Linear, one step of a single sequence's recurrence): a matrix-vector
            // product read straight from B; packing B and padding A to MR rows would cost several
            // times the arithmetic.
            Gemv.Multiply(isa, cfg.KC, b.Trans, n, k, pa, (float*)b.B, pc, accumulate);
            epilogue.Apply(pc, n, 1, n, 0);

            return;
        }

        int lda = transA ? m : k;

        // Split the larger output dimension.
        bool splitRows = m >= n;
        int panels = splitRows ? (m + cfg.MR - 1) / cfg.MR : (n + cfg.NR - 1) / cfg.NR;
        long work = (long)m * n * k;
        int chunks = (int)Math.Min(Math.Min(Threading.Available, panels), Math.Max(1, work / MinWorkPerThread));
        if (chunks <= 1)
        {
            Serial(cfg, transA, m, n, k, pa, lda, b, pc, n, accumulate, epilogue);
            return;
        }

        if (!TryParallelShared(cfg, splitRows, chunks, transA, m, n, k, pa, lda, b, pc, accumulate, epilogue))
        {
            ParallelStatic(cfg, splitRows, chunks, transA, m, n, k, pa, lda, b, pc, accumulate, epilogue);
        }
    }

    /// <summary>
    /// The multithreaded nest when the operand every thread needs fits the cache budget: op(B) whole
    /// when the rows are split, op(A) whole when the columns are. The threads first pack it together
    /// into one shared buffer (all its depth blocks, each laid out as <see cref="Serial"/> packs it),
    /// then take blocks of up to MC rows (or groups of NR-column panels) one at a time, first come first
    /// served, each packing only its own part of the other operand; an A the direct kernel reads in
    /// place is not packed at all. Packing pieces and output blocks are one job for the workers. No thread repacks what another
    /// packed, and a thread the machine slows down takes fewer blocks instead of holding the others
    /// up. Every element sums the same KC blocks in the same order as in <see cref="Serial"/>, so the
    /// result does not depend on the thread count or on who took which block. A B packed beforehand
    /// (<see cref="PackedB"/>) is read in place: as the shared operand, or each thread's columns of it.
    /// </summary>
    private static bool TryParallelShared(Config cfg, bool splitRows, int threads, bool transA, int m, int n, int k, float* a, int lda, Operand b, float* c, bool accumulate, Epilogue epilogue)
    {
        int mr = cfg.MR, nr = cfg.NR, kcMax = Math.Min(cfg.KC, k);
        int sharedWidth = splitRows ? RoundUp(n, nr) : RoundUp(m, mr);
        long sharedLength = (long)sharedWidth * k;

        // B packed beforehand is the shared operand as it is: nothing to pack, no buffer to fit.
        bool prepackedB = splitRows && b.Packed != 0;
        if (sharedLength > MaxSharedFloats && !prepackedB)
        {
            return false;
        }

        // When the columns are split and A is read where it is stored, nothing needs sharing: each
        // thread packs its own columns of B and reads A in place (A over the limit takes the static
        // split, which reads it fewer times).
        bool directA = !splitRows && ReadsADirect(cfg, transA, Math.Min(cfg.MC, m), lda);
        bool nothingToPack = prepackedB || directA;

        float[]? sharedArray = nothingToPack ? null
            : Interlocked.Exchange(ref s_shared, null) is { } cached && cached.Length >= sharedLength + 16
            ? cached
            : GC.AllocateUninitializedArray<float>((int)sharedLength + 16, pinned: true);
        try
        {
            nint ap = (nint)a, cp = (nint)c, sp = prepackedB ? b.Packed : sharedArray is null ? 0 : (nint)Align(sharedArray);
            int depthBlocks = (k + cfg.KC - 1) / cfg.KC;
            int width = splitRows ? nr : mr;

            // Phase 1: pack the shared operand, pieces of (depth block, run of panels) in any order.
            int sharedPanels = sharedWidth / width;
            int panelsPerPiece = Math.Max(1, sharedPanels * depthBlocks / (threads * 8));
            int piecesPerBlock = (sharedPanels + panelsPerPiece - 1) / panelsPerPiece;
            int packPieces = nothingToPack ? 0 : piecesPerBlock * depthBlocks;

            // Phase 2: the output in blocks of rows (sharing B) or of column panels (sharing A): about
            // four per thread, whole panels each, sizes differing by at most one panel (49 column panels
            // in 7 blocks of 7 left one thread a block idle; 8 blocks of 6 or 7 do not), and row blocks of
            // at most MC rows. A small product takes one block per thread: its blocks of four cost more
            // than the balance they buy (block 15: the AVX2 path's 128 × 128 × 256 and 128 × 128 × 512
            // products 6-13 % faster, the AVX-512 ones the same).
            int outputWidth = splitRows ? mr : nr;
            int outputPanels = splitRows ? (m + mr - 1) / mr : (n + nr - 1) / nr;
            int blocks = Math.Min(outputPanels, threads * ((long)m * n * k <= SmallProduct ? 1 : 4));
            if (splitRows)
            {
                blocks = Math.Max(blocks, (outputPanels + (cfg.MC / mr) - 1) / (cfg.MC / mr));
            }

            int maxBlockSize = (outputPanels + blocks - 1) / blocks * outputWidth;

            // Both phases in one job, so the workers are handed the product once: the pieces are claimed
            // in order, so by the time a thread claims the first output block every packing piece has
            // been claimed, and it waits only for those still being packed elsewhere.
            int packed = 0;
            WorkerPool.RunPieces(threads, packPieces + blocks, piece =>
            {
                if (piece < packPieces)
                {
                    try
                    {
                        PackPiece(piece);
                    }
                    finally
                    {
                        Interlocked.Increment(ref packed);
                    }

                    return;
                }

                if (Volatile.Read(ref packed) != packPieces)
                {
                    var spinner = default(SpinWait);
                    while (Volatile.Read(ref packed) != packPieces)
                    {
                        spinner.SpinOnce(sleep1Threshold: -1);
                    }
                }

                OutputBlock(piece - packPieces);
            });

            void PackPiece(int piece)
            {
                int block = piece / piecesPerBlock, q0 = piece % piecesPerBlock * panelsPerPiece * width;
                int pcStart = block * cfg.KC, kc = Math.Min(cfg.KC, k - pcStart);
                int count = Math.Min(Math.Min(panelsPerPiece * width, (splitRows ? n : m) - q0), sharedWidth - q0);
                float* dst = (float*)sp + ((long)pcStart * sharedWidth) + ((long)q0 * kc);
                if (splitRows)
                {
                    PackB(b.Trans, (float*)b.B, b.Ld, pcStart, q0, kc, count, nr, dst);
                }
                else
                {
                    PackA(transA, (float*)ap, lda, q0, pcStart, count, kc, mr, dst);
                }
            }

            void OutputBlock(int block)
            {
                // This thread's own packing buffer and edge tile (thread-static, allocated once).
                float* tile = Buffer(ref t_tile, mr * nr);
                float* own = splitRows ? Buffer(ref t_packA, maxBlockSize * kcMax) : b.Packed != 0 ? null : Buffer(ref t_packB, maxBlockSize * kcMax);
                float* packA = directA ? Buffer(ref t_packA, cfg.MC * kcMax) : null; // a last partial panel of A
                int start = (int)((long)outputPanels * block / blocks) * outputWidth;
                int size = Math.Min((int)((long)outputPanels * (block + 1) / blocks) * outputWidth, splitRows ? m : n) - start;
                for (int pcStart = 0; pcStart < k; pcStart += cfg.KC)
                {
                    int kc = Math.Min(cfg.KC, k - pcStart);
                    bool acc = accumulate || pcStart > 0;
                    var ep = epilogue.If(pcStart + kc == k);
                    float* shared = (float*)sp + ((long)pcStart * sharedWidth);
                    if (splitRows)
                    {
                        RowBlock(cfg, transA, (float*)ap, lda, start, pcStart, size, n, kc, own, shared, (float*)cp + ((long)start * n), n, acc, tile, ep);
                    }
                    else
                    {
                        float* ownB = b.Block(pcStart, start, kc, size, nr, own);
                        ep = ep.Columns(start);
                        for (int ic = 0; ic < m; ic += cfg.MC)
                        {
                            int mc = Math.Min(cfg.MC, m - ic);
                            float* cBlock = (float*)cp + ((long)ic * n) + start;
                            if (directA)
                            {
                                RowBlock(cfg, transA, (float*)ap, lda, ic, pcStart, mc, size, kc, packA, ownB, cBlock, n, acc, tile, ep);
                            }
                            else
                            {
                                Macro(cfg, mc, size, kc, shared + ((long)ic * kc), 0, ownB, cBlock, n, acc, tile, ep);
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            if (sharedArray is not null)
            {
                Volatile.Write(ref s_shared, sharedArray);
            }
        }

        return true;
    }

    /// <summary>The multithreaded nest for very large operands: one contiguous range of row or column panels per thread, each running <see cref="Serial"/>.</summary>
    private static void ParallelStatic(Config cfg, bool splitRows, int chunks, bool transA, int m, int n, int k, float* pa, int lda, Operand b, float* pc, bool accumulate, Epilogue epilogue)
    {
        int panels = splitRows ? (m + cfg.MR - 1) / cfg.MR : (n + cfg.NR - 1) / cfg.NR;
        nint ap = (nint)pa, cp = (nint)pc;
        WorkerPool.Run(chunks, t =>
        {
            int start = (int)((long)panels * t / chunks);
            int end = (int)((long)panels * (t + 1) / chunks);
            float* a0 = (float*)ap, c0 = (float*)cp;
            if (splitRows)
            {
                int i0 = start * cfg.MR, i1 = Math.Min(m, end * cfg.MR);
                Serial(cfg, transA, i1 - i0, n, k, transA ? a0 + i0 : a0 + ((long)i0 * lda), lda, b, c0 + ((long)i0 * n), n, accumulate, epilogue);
            }
            else
            {
                int j0 = start * cfg.NR, j1 = Math.Min(n, end * cfg.NR);
                Serial(cfg, transA, m, j1 - j0, k, a0, lda, b.Columns(j0), c0 + j0, n, accumulate, epilogue.Columns(j0));
            }
        });
    }

    /// <summary>One thread's share: the GotoBLAS loop nest over NC column blocks, KC depth blocks and MC row blocks.</summary>
    private static void Serial(Config cfg, bool transA, int m, int n, int k, float* a, int lda, Operand b, float* c, int ldc, bool accumulate, Epilogue epilogue)
    {
        int mr = cfg.MR, nr = cfg.NR;
        int kcMax = Math.Min(cfg.KC, k);
        int mcMax = RoundUp(Math.Min(cfg.MC, m), mr);
        int ncMax = RoundUp(Math.Min(cfg.NC, n), nr);
        float* packA = Buffer(ref t_packA, mcMax * kcMax);
        float* packB = b.Packed != 0 ? null : Buffer(ref t_packB, kcMax * ncMax);
        float* tile = Buffer(ref t_tile, mr * nr);
        for (int jc = 0; jc < n; jc += cfg.NC)
        {
            int nc = Math.Min(cfg.NC, n - jc);
            for (int pc = 0; pc < k; pc += cfg.KC)
            {
                int kc = Math.Min(cfg.KC, k - pc);
                bool acc = accumulate || pc > 0;
                var ep = epilogue.If(pc + kc == k).Columns(jc);
                float* blockB = b.Block(pc, jc, kc, nc, nr, packB);
                for (int ic = 0; ic < m; ic += cfg.MC)
                {
                    int mc = Math.Min(cfg.MC, m - ic);
                    RowBlock(cfg, transA, a, lda, ic, pc, mc, nc, kc, packA, blockB, c + ((long)ic * ldc) + jc, ldc, acc, tile, ep);
                }
            }
        }
    }

    /// <summary>
    /// op(A)[ic..ic+mc, pc..pc+kc] times a packed block of B into the mc×nc block of C at <paramref name="c"/>:
    /// whole MR-row panels of an untransposed A read where A is stored (the tile's direct kernel), only
    /// the rows of a last partial panel packed; a transposed A, a tile without a direct kernel, or rows
    /// that would crowd the L2's sets (<see cref="ReadsADirect"/>), packed whole into <paramref name="packA"/>. Every element gets the same FMAs in the same order either way.
    /// </summary>
    private static void RowBlock(Config cfg, bool transA, float* a, int lda, int ic, int pc, int mc, int nc, int kc, float* packA, float* packB, float* c, int ldc, bool accumulate, float* tile, Epilogue epilogue)
    {
        int direct = ReadsADirect(cfg, transA, mc, lda) ? mc / cfg.MR * cfg.MR : 0;
        if (direct > 0)
        {
            Macro(cfg, direct, nc, kc, a + ((long)ic * lda) + pc, lda, packB, c, ldc, accumulate, tile, epilogue);
        }

        if (direct < mc)
        {
            PackA(transA, a, lda, ic + direct, pc, mc - direct, kc, cfg.MR, packA);
            Macro(cfg, mc - direct, nc, kc, packA, 0, packB, c + ((long)direct * ldc), ldc, accumulate, tile, epilogue);
        }
    }

    /// <summary>Whether <see cref="RowBlock"/> reads an mc-row block of A where it is stored (the direct kernel) rather than packing it.</summary>
    internal static bool ReadsADirect(Config cfg, bool transA, int mc, int lda) =>
        !transA && cfg.DirectKernel != null
        && !(cfg.PacksCrowdedRows && CpuModel.RowsPerL2Set(mc, (long)lda * sizeof(float)) > CpuModel.L2.Ways);

    /// <summary>
    /// Runs the micro-kernel over every MR×NR tile of an mc×nc block of C, with A packed in MR-row panels
    /// (<paramref name="lda"/> 0) or, through the direct kernel, stored row-major with rows
    /// <paramref name="lda"/> apart (mc then a multiple of MR); then the epilogue on each tile (given only
    /// with the depth block that completes the sums).
    /// </summary>
    private static void Macro(Config cfg, int mc, int nc, int kc, float* a, int lda, float* packB, float* c, int ldc, bool accumulate, float* tile, Epilogue epilogue)
    {
        bool finish = !epilogue.IsNone;
        bool inRegisters = finish && cfg.FinishKernel != null;
        int mr = cfg.MR, nr = cfg.NR;
        bool prefetch = accumulate && PrefetchesC(mc, nc);
        for (int jr = 0; jr < nc; jr += nr)
        {
            int nb = Math.Min(nr, nc - jr);
            float* pb = packB + ((long)jr * kc);
            for (int ir = 0; ir < mc; ir += mr)
            {
                int mb = Math.Min(mr, mc - ir);
                float* ct = c + ((long)ir * ldc) + jr;
                bool whole = mb == mr && nb == nr;
                float* dst = whole ? ct : tile;
                int ldd = whole ? ldc : nr;
                bool acc = whole && accumulate;
                if (prefetch && whole)
                {
                    PrefetchTile(ct, mr, nr, ldc);
                }

                if (whole && inRegisters)
                {
                    float* bias = epilogue.Bias == 0 ? null : (float*)epilogue.Bias + jr;
                    if (lda == 0)
                    {
                        cfg.FinishKernel(kc, a + ((long)ir * kc), pb, ct, ldc, acc, bias, epilogue.Relu);
                    }
                    else
                    {
                        cfg.FinishDirectKernel(kc, a + ((long)ir * lda), lda, pb, ct, ldc, acc, bias, epilogue.Relu);
                    }

                    continue;
                }

                if (lda == 0)
                {
                    cfg.Kernel(kc, a + ((long)ir * kc), pb, dst, ldd, acc);
                }
                else
                {
                    cfg.DirectKernel(kc, a + ((long)ir * lda), lda, pb, dst, ldd, acc);
                }

                if (whole)
                {
                    if (finish)
                    {
                        epilogue.Apply(ct, ldc, mr, nr, jr);
                    }

                    continue;
                }

                for (int i = 0; i < mb; i++)
                {
                    float* src = tile + (i * nr);
                    float* row = ct + ((long)i * ldc);
                    if (accumulate)
                    {
                        for (int j = 0; j < nb; j++)
                        {
                            row[j] += src[j];
                        }
                    }
                    else
                    {
                        new ReadOnlySpan<float>(src, nb).CopyTo(new Span<float>(row, nb));
                    }
                }

                if (finish)
                {
                    epilogue.Apply(ct, ldc, mb, nb, jr);
                }
            }
        }
    }

    /// <summary>
    /// Whether the tiles of an mc×nc block of C that a depth block adds to are fetched ahead: when the
    /// block is larger than the L2, each tile's rows come from the L3 and the kernel's closing loads
    /// wait for them after its FMAs. Fetched into L1 as the kernel starts, they arrive during its FMAs.
    /// A block the L2 holds is left alone (fetching it into L1 early only crowds the B panel there):
    /// on the Zen 5's AVX2 path n = 2048 (1.2 MB blocks) ran 3-7 % faster, n = 1024 (590 KB) 1-4 %
    /// slower with every block fetched (block 15 of docs/performance-history.md).
    /// </summary>
    internal static bool PrefetchesC(int mc, int nc) =>
        Sse.IsSupported && CpuModel.L2.Ways > 0 && (long)mc * nc * sizeof(float) > (long)CpuModel.L2.Ways * CpuModel.L2.WayBytes;

    /// <summary>Brings each line of a rows×width tile's rows into L1 (every 16th float and the last: a row need not start a line).</summary>
    private static void PrefetchTile(float* c, int rows, int width, int ldc)
    {
        for (int r = 0; r < rows; r++, c += ldc)
        {
            for (int j = 0; j < width; j += 16)
            {
                Sse.Prefetch0(c + j);
            }

            Sse.Prefetch0(c + width - 1);
        }
    }

    /// <summary>
    /// Packs op(A)[ic..ic+mc, pc..pc+kc] into MR-row panels: panel r holds rows r·MR.. as kc groups of
    /// MR consecutive values (dst[p·MR + i]), rows past mc zero. The direct convolution packs its
    /// weights with it too.
    /// </summary>
    internal static void PackA(bool transA, float* a, int lda, int ic, int pc, int mc, int kc, int mr, float* dst) =>
        PackPanels(runsAcrossPanel: transA, a, lda, ic, pc, mc, kc, mr, dst);

    /// <summary>
    /// Packs op(B)[pc..pc+kc, jc..jc+nc] into NR-column panels: panel j holds columns j·NR.. as kc
    /// groups of NR consecutive values (dst[p·NR + j]), columns past nc zero.
    /// </summary>
    private static void PackB(bool transB, float* b, int ldb, int pc, int jc, int kc, int nc, int nr, float* dst) =>
        PackPanels(runsAcrossPanel: !transB, b, ldb, jc, pc, nc, kc, nr, dst);

    /// <summary>
    /// The packing shared by A's row panels and B's column panels: element (q, p) of the block
    /// (q along the panel width, p along the depth) goes to dst[panel·kc·width + p·width + q], and
    /// lanes past <paramref name="count"/> are zero. When <paramref name="runsAcrossPanel"/>, the
    /// source holds (q, p) at src[(depthStart + p)·ld + start + q] (each p a contiguous run of q);
    /// otherwise at src[(start + q)·ld + depthStart + p] (each q a contiguous run of p).
    /// </summary>
    private static void PackPanels(bool runsAcrossPanel, float* src, int ld, int start, int depthStart, int count, int kc, int width, float* dst)
    {
        int q0 = 0;
        if (runsAcrossPanel && width == 8)
        {
            // The AVX-512 tile's rows of a transposed A: two panels per pass over the depth, so each
            // 64-byte line of a source row is read once rather than once per panel (the LSTM's
            // 512 × 156 × 3584 weight gradient 5-8 % faster, block 15). Narrower AVX2 panels in groups
            // ran slower.
            long panelFloats = 8L * kc;
            for (; q0 + 16 <= count; q0 += 16)
            {
                float* s = src + ((long)depthStart * ld) + start + q0;
                float* d = dst + ((long)q0 * kc);
                for (int p = 0; p < kc; p++, s += ld, d += 8)
                {
                    Vector256.Store(Vector256.Load(s), d);
                    Vector256.Store(Vector256.Load(s + 8), d + panelFloats);
                }
            }
        }

        for (; q0 < count; q0 += width)
        {
            int lanes = Math.Min(width, count - q0);
            float* d = dst + ((long)q0 * kc);
            if (runsAcrossPanel)
            {
                float* s = src + ((long)depthStart * ld) + start + q0;
                for (int p = 0; p < kc; p++, s += ld, d += width)
                {
                    if (lanes == width)
                    {
                        CopyRun(s, d, width);
                        continue;
                    }

                    int q = 0;
                    for (; q < lanes; q++)
                    {
                        d[q] = s[q];
                    }

                    for (; q < width; q++)
                    {
                        d[q] = 0f;
                    }
                }
            }
            else if (lanes == width && width % 2 == 0 && Sse.IsSupported)
            {
                PackTransposed(src + ((long)(start + q0) * ld) + depthStart, ld, width, kc, d);
            }
            else
            {
                for (int q = 0; q < width; q++)
                {
                    if (q < lanes)
                    {
                        float* s = src + ((long)(start + q0 + q) * ld) + depthStart;
                        for (int p = 0; p < kc; p++)
                        {
                            d[(p * width) + q] = s[p];
                        }
                    }
                    else
                    {
                        for (int p = 0; p < kc; p++)
                        {
                            d[(p * width) + q] = 0f;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Copies a run of 4 to 32 floats with inline vector moves (a Memmove call per run cost ~7 % of a
    /// CNN epoch; with six scalar moves for the AVX2 tile's rows the LSTM's joint weight gradient ran
    /// 1.5-2.4 % slower, block 15).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRun(float* s, float* d, int width)
    {
        int v = 0;
        for (; v + Vector256<float>.Count <= width; v += Vector256<float>.Count)
        {
            Vector256.Store(Vector256.Load(s + v), d + v);
        }

        if (v + Vector128<float>.Count <= width)
        {
            Vector128.Store(Vector128.Load(s + v), d + v);
            v += Vector128<float>.Count;
        }

        if (v + 2 <= width)
        {
            *(long*)(d + v) = *(long*)(s + v);
            v += 2;
        }

        for (; v < width; v++)
        {
            d[v] = s[v];
        }
    }

    /// <summary>
    /// Packs <paramref name="width"/> (even) source rows (row r at src + r·ld, contiguous over kc values)
    /// into dst[p·width + r], transposing 4×4 blocks in SSE registers and a last pair of rows as 2×4.
    /// </summary>
    private static void PackTransposed(float* src, int ld, int width, int kc, float* dst)
    {
        int p = 0;
        for (; p + 4 <= kc; p += 4)
        {
            float* d = dst + ((long)p * width);
            int r = 0;
            for (; r + 4 <= width; r += 4)
            {
                float* s = src + ((long)r * ld) + p;
                Vector128<float> r0 = Sse.LoadVector128(s);
                Vector128<float> r1 = Sse.LoadVector128(s + ld);
                Vector128<float> r2 = Sse.LoadVector128(s + (2 * (long)ld));
                Vector128<float> r3 = Sse.LoadVector128(s + (3 * (long)ld));
                Vector128<float> t0 = Sse.UnpackLow(r0, r1);
                Vector128<float> t1 = Sse.UnpackLow(r2, r3);
                Vector128<float> t2 = Sse.UnpackHigh(r0, r1);
                Vector128<float> t3 = Sse.UnpackHigh(r2, r3);
                Sse.Store(d + r, Sse.MoveLowToHigh(t0, t1));
                Sse.Store(d + width + r, Sse.MoveHighToLow(t1, t0));
                Sse.Store(d + (2 * width) + r, Sse.MoveLowToHigh(t2, t3));
                Sse.Store(d + (3 * width) + r, Sse.MoveHighToLow(t3, t2));
            }

            if (r < width)
            {
                // Two rows left (the 6-row panels of the AVX2 kernel): interleave them, two values per column.
                float* s = src + ((long)r * ld) + p;
                Vector128<float> r0 = Sse.LoadVector128(s);
                Vector128<float> r1 = Sse.LoadVector128(s + ld);
                Vector128<float> low = Sse.UnpackLow(r0, r1);
                Vector128<float> high = Sse.UnpackHigh(r0, r1);
                Sse.StoreLow(d + r, low);
                Sse.StoreHigh(d + width + r, low);
                Sse.StoreLow(d + (2 * width) + r, high);
                Sse.StoreHigh(d + (3 * width) + r, high);
            }
        }

        for (; p < kc; p++)
        {
            float* d = dst + ((long)p * width);
            for (int r = 0; r < width; r++)
            {
                d[r] = src[((long)r * ld) + p];
            }
        }
    }

    internal static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    /// <summary>A pinned, 64-byte-aligned thread-local buffer of at least <paramref name="floats"/> floats, grown on demand.</summary>
    private static float* Buffer(ref float[]? array, int floats)
    {
        if (array is null || array.Length < floats + 16)
        {
            array = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
        }

        return Align(array);
    }

    /// <summary>The first 64-byte-aligned element of a pinned array.</summary>
    private static float* Align(float[] pinned)
    {
        nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        return (float*)((p + 63) & ~(nint)63);
    }

    /// <summary>The scalar micro-kernel: C[MR×NR] (+)= packed A panel · packed B panel.</summary>
    private static void KernelScalar(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
    {
        float* sum = stackalloc float[ScalarMR * ScalarNR];
        new Span<float>(sum, ScalarMR * ScalarNR).Clear();
        for (int p = 0; p < kc; p++, a += ScalarMR, b += ScalarNR)
        {
            for (int i = 0; i < ScalarMR; i++)
            {
                float ai = a[i];
                for (int j = 0; j < ScalarNR; j++)
                {
                    sum[(i * ScalarNR) + j] += ai * b[j];
                }
            }
        }

        for (int i = 0; i < ScalarMR; i++, c += ldc)
        {
            for (int j = 0; j < ScalarNR; j++)
            {
                c[j] = accumulate ? c[j] + sum[(i * ScalarNR) + j] : sum[(i * ScalarNR) + j];
            }
        }
    }

    /// <summary>The 16×16 micro-kernel (1 × Vector512): C[16×16] (+)= packed A panel · packed B panel over kc steps, held in 16 registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512_16x16(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
    {
        Vector512<float> c00 = default;
        Vector512<float> c10 = default;
        Vector512<float> c20 = default;
        Vector512<float> c30 = default;
        Vector512<float> c40 = default;
        Vector512<float> c50 = default;
        Vector512<float> c60 = default;
        Vector512<float> c70 = default;
        Vector512<float> c80 = default;
        Vector512<float> c90 = default;
        Vector512<float> c100 = default;
        Vector512<float> c110 = default;
        Vector512<float> c120 = default;
        Vector512<float> c130 = default;
        Vector512<float> c140 = default;
        Vector512<float> c150 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b + 0);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(a1, b0, c10);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(a2, b0, c20);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(a3, b0, c30);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(a4, b0, c40);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(a5, b0, c50);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(a6, b0, c60);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(a7, b0, c70);
            Vector512<float> a8 = Vector512.Create(a[8]);
            c80 = Avx512F.FusedMultiplyAdd(a8, b0, c80);
            Vector512<float> a9 = Vector512.Create(a[9]);
            c90 = Avx512F.FusedMultiplyAdd(a9, b0, c90);
            Vector512<float> a10 = Vector512.Create(a[10]);
            c100 = Avx512F.FusedMultiplyAdd(a10, b0, c100);
            Vector512<float> a11 = Vector512.Create(a[11]);
            c110 = Avx512F.FusedMultiplyAdd(a11, b0, c110);
            Vector512<float> a12 = Vector512.Create(a[12]);
            c120 = Avx512F.FusedMultiplyAdd(a12, b0, c120);
            Vector512<float> a13 = Vector512.Create(a[13]);
            c130 = Avx512F.FusedMultiplyAdd(a13, b0, c130);
            Vector512<float> a14 = Vector512.Create(a[14]);
            c140 = Avx512F.FusedMultiplyAdd(a14, b0, c140);
            Vector512<float> a15 = Vector512.Create(a[15]);
            c150 = Avx512F.FusedMultiplyAdd(a15, b0, c150);
            a += 16;
            b += 16;
        }

        if (accumulate)
        {
            Vector512.Store(c00 + Vector512.Load(c + 0), c + 0);
            c += ldc;
            Vector512.Store(c10 + Vector512.Load(c + 0), c + 0);
            c += ldc;
            Vector512.Store(c20 + Vector512.Load(c + 0), c + 0);
            c += ldc;
            Vector512.Store(c30 + Vector512.Load(c + 0), c + 0);
            c += ldc;
            Vector512.Store(c40 + Vector512.Load(c + 0), c + 0);
            c += ldc;
            Vector512.Store(c50 + Vector512.Load(c + 0), c + 0);
            c += ldc;
            Vector512.Store(c60 + Vector512.Load(c + 0), c + 0);
            c += ldc;
            Vector512.Store(c70 + Vector512.Load(c + 0), c + 0);
            c += ldc;
            Vector512.Store(c80 + Vector512.Load(c + 0), c + 0);
            c += ldc;
            Vector512.Store(c90 + Vector512.Load(c + 0), c + 0);
            c += ldc;
            Vector512.Store(c100 + Vector512.Load(c + 0), c + 0);
            c += ldc;
            Vector512.Store(c110 + Vector512.Load(c + 0), c + 0);
            c += ldc;
            Vector512.Store(c120 + Vector512.Load(c + 0), c + 0);
            c += ldc;
            Vector512.Store(c130 + Vector512.Load(c + 0), c + 0);
            c += ldc;
            Vector512.Store(c140 + Vector512.Load(c + 0), c + 0);
            c += ldc;
            Vector512.Store(c150 + Vector512.Load(c + 0), c + 0);
        }
        else
        {
            Vector512.Store(c00, c + 0);
            c += ldc;
            Vector512.Store(c10, c + 0);
            c += ldc;
            Vector512.Store(c20, c + 0);
            c += ldc;
            Vector512.Store(c30, c + 0);
            c += ldc;
            Vector512.Store(c40, c + 0);
            c += ldc;
            Vector512.Store(c50, c + 0);
            c += ldc;
            Vector512.Store(c60, c + 0);
            c += ldc;
            Vector512.Store(c70, c + 0);
            c += ldc;
            Vector512.Store(c80, c + 0);
            c += ldc;
            Vector512.Store(c90, c + 0);
            c += ldc;
            Vector512.Store(c100, c + 0);
            c += ldc;
            Vector512.Store(c110, c + 0);
            c += ldc;
            Vector512.Store(c120, c + 0);
            c += ldc;
            Vector512.Store(c130, c + 0);
            c += ldc;
            Vector512.Store(c140, c + 0);
            c += ldc;
            Vector512.Store(c150, c + 0);
        }
    }
}
