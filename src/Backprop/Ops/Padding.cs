using System.Globalization;
using System.Numerics;
using Backprop.Kernels;

namespace Backprop;

// pad, everything about it in one file (the op contract). Every mode is one index map per padded
// dim: output position o of that dim reads input position map[o], or the constant where map[o] is
// −1. The maps are separable, so a padded corner reads the input at the pair of its two maps, as
// PyTorch's kernels do. A negative pad removes elements first; the border is then taken from what
// is left (reflect may read past it, as PyTorch's kernel does). The forward gathers through the
// maps; the backward adds each output gradient into the input element it was read from.
/// <summary>
/// Padding of <see cref="Tensor"/>: <c>Tensor.Pad</c> (<c>torch.nn.functional.pad</c>).
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class PaddingOps
{
    extension(Tensor)
    {
        /// <summary>
        /// Pads the last dims of <paramref name="input"/> (<c>torch.nn.functional.pad(input, pad,
        /// mode='constant', value=0)</c>): <paramref name="pad"/> gives (before, after) for the last dim
        /// first, then the one before it, so <c>[1, 1, 2, 0]</c> adds 1 column each side and 2 rows above.
        /// Along a padded dim of size n, output position o reads input position i = o − before, and
        /// outside 0 ≤ i &lt; n: <paramref name="value"/> (<see cref="PadMode.Constant"/>), −i or
        /// 2(n − 1) − i (<see cref="PadMode.Reflect"/>), the nearest edge (<see cref="PadMode.Replicate"/>),
        /// i mod n (<see cref="PadMode.Circular"/>). A negative pad removes that many elements (circular
        /// then wraps what is left, as PyTorch). ∂L/∂x[i] is the sum of ∂L/∂y over the output positions
        /// that read x[i]. As PyTorch: the constant mode pads any number of dims; the other modes pad
        /// 1, 2 or 3 dims of an input with one or two dims more (unbatched or batched; PyTorch 1.13's
        /// circular takes batched only, later versions both), reflect padding is less than the dim's
        /// size and circular padding at most the dim's size.
        /// </summary>
        /// <param name="input">The tensor padded, of any dtype in constant mode (float for the others' gradients).</param>
        /// <param name="pad">(before, after) per padded dim, the last dim first; an even count, at most twice the rank.</param>
        /// <param name="mode">How the border is filled (default <see cref="PadMode.Constant"/>).</param>
        /// <param name="value">The fill of <see cref="PadMode.Constant"/> (default 0); the other modes take none.</param>
        /// <returns>A new tensor whose padded dims have size n + before + after.</returns>
        /// <exception cref="ArgumentException">The pad list, mode, value or input shape is not one PyTorch accepts; the message says which and why.</exception>
        public static Tensor Pad(Tensor input, int[] pad, PadMode mode = PadMode.Constant, double value = 0)
        {
            ArgumentNullException.ThrowIfNull(input);
            ArgumentNullException.ThrowIfNull(pad);
            var plan = PadPlan.Create(input._shape, pad, mode, value);
            var output = Tensor.Empty(plan.OutputShape, input.DType);
            switch (input.DType)
            {
                case DType.Float32:
                    Gather(input.F32, output.F32, plan, (float)value);
                    break;
                case DType.Float64:
                    Gather(input.F64, output.F64, plan, value);
                    break;
                default:
                    Gather(input.I64, output.I64, plan, (long)value);
                    break;
            }

            return Tensor.Record(new PadDefinition((int[])pad.Clone(), mode, value), output, [input], gy =>
            {
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): the fold-back as an op whose backward is the pad again.
                    return [PadMap(input._shape, plan).Transposed.ApplyRecorded(gy)];
                }

                var gx = Tensor.Empty(input._shape, input.DType);
                if (gy.DType == DType.Float32)
                {
                    ScatterAdd(gy.F32, gx.F32, plan);
                }
                else
                {
                    ScatterAdd(gy.F64, gx.F64, plan);
                }

                return [gx];
            });
        }
    }

    /// <summary>
    /// The pad's linear part as a linear map (the fill taken as 0): P gathers x through the border maps,
    /// Pᵀ adds each output back into the input element it read (slicing, and folding the reflected,
    /// replicated or wrapped border back). The recorded backward is Pᵀ; its backward is P, the pad again.
    /// </summary>
    private static LinearMapDefinition PadMap(int[] inputShape, PadPlan plan) =>
        new(
            "pad_positions",
            "y = x padded with 0 (the border maps fixed); ∂L/∂x[i] = Σ g over the outputs that read x[i]",
            x =>
            {
                var y = Tensor.Empty(plan.OutputShape, x.DType);
                if (x.DType == DType.Float32)
                {
                    Gather(x.F32, y.F32, plan, 0f);
                }
                else
                {
                    Gather(x.F64, y.F64, plan, 0.0);
                }

                return y;
            },
            gy =>
            {
                var gx = Tensor.Empty(inputShape, gy.DType);
                if (gy.DType == DType.Float32)
                {
                    ScatterAdd(gy.F32, gx.F32, plan);
                }
                else
                {
                    ScatterAdd(gy.F64, gx.F64, plan);
                }

                return gx;
            });

    /// <summary>The registry's sample of the pad's map: reflect (1, 2) and (2, 1) on a (1, 2, 3, 4) input.</summary>
    internal static LinearMapDefinition SamplePadMap() => PadMap([1, 2, 3, 4], PadPlan.Create([1, 2, 3, 4], [1, 2, 2, 1], PadMode.Reflect, 0));

    /// <summary>y[slice, row, o] = x[slice, map(row), map(o)] or the fill, one outer slice (the unpadded dims) at a time.</summary>
    private static void Gather<T>(T[] x, T[] y, PadPlan plan, T fill)
        where T : unmanaged
    {
        int last = plan.Maps.Length - 1, rowLength = plan.OutSizes[last];
        if (y.Length == 0)
        {
            return;
        }

        int rows = plan.OutSlice / rowLength;
        int[] lastMap = plan.Maps[last];
        Threading.For(plan.Outer, plan.OutSlice, (start, end) =>
        {
            for (int s = start; s < end; s++)
            {
                for (int r = 0; r < rows; r++)
                {
                    var destination = y.AsSpan((s * plan.OutSlice) + (r * rowLength), rowLength);
                    int source = plan.SourceRow(r);
                    if (source < 0)
                    {
                        destination.Fill(fill);
                        continue;
                    }

                    int offset = (s * plan.InSlice) + source;
                    int before = plan.CopyStart, count = plan.CopyLength;
                    for (int j = 0; j < before; j++)
                    {
                        destination[j] = lastMap[j] < 0 ? fill : x[offset + lastMap[j]];
                    }

                    x.AsSpan(offset + plan.CopyFrom, count).CopyTo(destination.Slice(before, count));
                    for (int j = before + count; j < rowLength; j++)
                    {
                        destination[j] = lastMap[j] < 0 ? fill : x[offset + lastMap[j]];
                    }
                }
            }
        });
    }

    /// <summary>gx = 0, then gx[slice, map(row), map(o)] += gy[slice, row, o]; slices in parallel, each in one fixed order.</summary>
    private static void ScatterAdd<T>(T[] gy, T[] gx, PadPlan plan)
        where T : unmanaged, INumberBase<T>
    {
        gx.AsSpan().Clear();
        int last = plan.Maps.Length - 1, rowLength = plan.OutSizes[last];
        if (gy.Length == 0 || gx.Length == 0)
        {
            return;
        }

        int rows = plan.OutSlice / rowLength;
        int[] lastMap = plan.Maps[last];
        Threading.For(plan.Outer, plan.OutSlice, (start, end) =>
        {
            for (int s = start; s < end; s++)
            {
                for (int r = 0; r < rows; r++)
                {
                    int source = plan.SourceRow(r);
                    if (source < 0)
                    {
                        continue;
                    }

                    int offset = (s * plan.InSlice) + source, from = (s * plan.OutSlice) + (r * rowLength);
                    for (int j = 0; j < rowLength; j++)
                    {
                        int i = lastMap[j];
                        if (i >= 0)
                        {
                            gx[offset + i] += gy[from + j];
                        }
                    }
                }
            }
        });
    }

    /// <summary>
    /// The checked arguments of one pad call: the shape split into the unpadded outer dims (a number
    /// of slices) and the padded dims, and per padded dim the input position each output position reads.
    /// </summary>
    private sealed class PadPlan
    {
        private PadPlan(int[] outputShape, int outer, int[] inSizes, int[] outSizes, int[][] maps, int copyStart, int copyFrom, int copyLength)
        {
            OutputShape = outputShape;
            Outer = outer;
            InSizes = inSizes;
            OutSizes = outSizes;
            Maps = maps;
            InSlice = Shapes.Numel(inSizes);
            OutSlice = Shapes.Numel(outSizes);
            CopyStart = copyStart;
            CopyFrom = copyFrom;
            CopyLength = copyLength;
        }

        public int[] OutputShape { get; }

        /// <summary>The product of the unpadded leading dims.</summary>
        public int Outer { get; }

        public int[] InSizes { get; }

        public int[] OutSizes { get; }

        /// <summary>Per padded dim (outermost first), the input position each output position reads, −1 for the constant.</summary>
        public int[][] Maps { get; }

        public int InSlice { get; }

        public int OutSlice { get; }

        /// <summary>Where in an output row the run copied as one span starts, its length, and its first input position.</summary>
        public int CopyStart { get; }

        public int CopyLength { get; }

        public int CopyFrom { get; }

        /// <summary>The offset inside an input slice of the row that output row <paramref name="row"/> reads (all padded dims but the last), or −1 for a constant row.</summary>
        public int SourceRow(int row)
        {
            int offset = 0, stride = InSizes[^1];
            for (int d = Maps.Length - 2; d >= 0; d--)
            {
                int o = row % OutSizes[d];
                row /= OutSizes[d];
                int i = Maps[d][o];
                if (i < 0)
                {
                    return -1;
                }

                offset += i * stride;
                stride *= InSizes[d];
            }

            return offset;
        }

        public static PadPlan Create(int[] shape, int[] pad, PadMode mode, double value)
        {
            if (!Enum.IsDefined(mode))
            {
                throw new ArgumentException($"pad: mode must be constant, reflect, replicate or circular, got {mode}", nameof(mode));
            }

            string name = ModeName(mode);
            if (pad.Length % 2 != 0)
            {
                throw new ArgumentException($"pad: the padding must be (before, after) pairs, the last dim first, so an even count of numbers; got {pad.Length}: [{string.Join(", ", pad)}]", nameof(pad));
            }

            int dims = pad.Length / 2, rank = shape.Length;
            if (dims > rank)
            {
                throw new ArgumentException($"pad: the padding [{string.Join(", ", pad)}] pads {Dims(dims)}, but the input {Shapes.Format(shape)} has {rank}", nameof(pad));
            }

            if (mode != PadMode.Constant)
            {
                if (value != 0)
                {
                    throw new ArgumentException($"pad: mode {name} takes no value (only constant padding fills with a value), got value={value.ToString(CultureInfo.InvariantCulture)}", nameof(value));
                }

                if (dims < 1 || dims > 3 || rank < dims + 1 || rank > dims + 2)
                {
                    throw new ArgumentException(
                        $"pad: {name} padding pads 1, 2 or 3 dims of an input with one more dim (unbatched) or two more (batched); the padding [{string.Join(", ", pad)}] pads {Dims(dims)}, so it needs an input of rank {dims + 1} or {dims + 2}, got {Shapes.Format(shape)}",
                        nameof(pad));
                }
            }

            if (dims == 0)
            {
                // Nothing padded: the last dim (if any) with a (0, 0) pair, so the plan has a row.
                return rank == 0
                    ? new PadPlan([], 1, [1], [1], [[0]], 0, 0, 1)
                    : Create(shape, [0, 0], mode, value);
            }

            var outputShape = (int[])shape.Clone();
            var maps = new int[dims][];
            int copyStart = 0, copyFrom = 0, copyLength = 0;
            for (int k = 0; k < dims; k++)
            {
                int dim = rank - dims + k, before = pad[2 * (dims - 1 - k)], after = pad[(2 * (dims - 1 - k)) + 1];
                (maps[k], copyStart, copyFrom, copyLength) = Map(shape, dim, before, after, mode, name);
                outputShape[dim] = maps[k].Length;
            }

            int outer = Shapes.Numel(shape.AsSpan(0, rank - dims));
            return new PadPlan(outputShape, outer, shape[(rank - dims)..], outputShape[(rank - dims)..], maps, copyStart, copyFrom, copyLength);
        }

        /// <summary>
        /// Output position → input position along one dim, −1 for the constant, after checking the pair
        /// fits the dim; with the run of output positions that read the kept input elements in order
        /// (where it starts, its first input position, its length).
        /// </summary>
        private static (int[] Map, int Start, int From, int Length) Map(int[] shape, int dim, int before, int after, PadMode mode, string name)
        {
            int n = shape[dim];
            int low = Math.Max(0, -before), kept = n - low - Math.Max(0, -after);
            int start = Math.Max(0, before), size = kept + start + Math.Max(0, after);
            string which = $"({before}, {after}) for dim {dim} of size {n} (input {Shapes.Format(shape)})";
            if (kept < 0 || size < 0)
            {
                throw new ArgumentException($"pad: the negative padding {which} removes more elements than the dim has");
            }

            if (mode != PadMode.Constant && kept < 1)
            {
                throw new ArgumentException($"pad: {name} padding needs at least one element to copy, got {which}");
            }

            if (mode == PadMode.Reflect && (before >= n || after >= n))
            {
                throw new ArgumentException($"pad: reflect padding must be less than the size of the dim it pads, got {which}");
            }

            if (mode == PadMode.Circular && (before > kept || after > kept))
            {
                throw new ArgumentException($"pad: circular padding wraps around once at most, so it must be at most the size of the dim it pads, got {which}");
            }

            var map = new int[size];
            for (int o = 0; o < size; o++)
            {
                int j = o - start;
                int i = j >= 0 && j < kept ? j : mode switch
                {
                    PadMode.Constant => int.MinValue,
                    PadMode.Reflect => j < 0 ? -j : (2 * (kept - 1)) - j,
                    PadMode.Replicate => Math.Clamp(j, 0, kept - 1),
                    _ => ((j % kept) + kept) % kept,
                };
                map[o] = i == int.MinValue ? -1 : low + i;
                if (map[o] >= n || (map[o] < 0 && i != int.MinValue))
                {
                    throw new ArgumentException($"pad: reflect padding reads past the input with {which}: make each pad less than what the negative padding keeps");
                }
            }

            return (map, start, low, kept);
        }
    }

    private static string Dims(int count) => count == 1 ? "1 dim" : $"{count} dims";

    /// <summary>The mode as PyTorch spells it: constant, reflect, replicate, circular.</summary>
    internal static string ModeName(PadMode mode) => mode switch
    {
        PadMode.Constant => "constant",
        PadMode.Reflect => "reflect",
        PadMode.Replicate => "replicate",
        PadMode.Circular => "circular",
        _ => mode.ToString(),
    };
}

/// <summary>The definition of <see cref="PaddingOps.Pad"/> (<c>torch.nn.functional.pad</c>) with its pad list, mode and value.</summary>
public sealed class PadDefinition : OpDefinition, IGradCheckSamples
{
    private readonly int[] _pad;

    internal PadDefinition(int[] pad, PadMode mode, double value)
        : base("pad", "y = x with (before, after) added along its last dims (constant, reflected, replicated or wrapped); ∂L/∂x[i] = Σ g over the outputs that read x[i]")
    {
        _pad = pad;
        Mode = mode;
        Value = value;
    }

    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        Tensor.Pad(tangents[0]!, _pad, Mode);

    /// <summary>(before, after) per padded dim, the last dim first (PyTorch's <c>pad</c>).</summary>
    public IReadOnlyList<int> Pad => _pad;

    /// <summary>How the border is filled (PyTorch's <c>mode</c>).</summary>
    public PadMode Mode { get; }

    /// <summary>The fill of constant padding (PyTorch's <c>value</c>); 0 for the other modes.</summary>
    public double Value { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() =>
        $"pad: {FormatList(_pad)}, mode: {PaddingOps.ModeName(Mode)}" + (Mode == PadMode.Constant ? $", value: {FormatNumber(Value)}" : string.Empty);

    /// <summary>
    /// ONNX Pad (opset 13's form: pads as an input, the begins of every axis then the ends) in mode
    /// constant, reflect or edge for the positive pads, then a Slice for the negative ones (which
    /// reflect may read past, as PyTorch's kernel does). Circular, which ONNX gains only in opset 19
    /// (wrap), is the Slice first (PyTorch wraps what is kept), then per padded axis a Concat of the
    /// last <c>before</c> elements, the tensor and the first <c>after</c> elements. Slices count from
    /// the end where they can, so no input size is written into the file.
    /// </summary>
    /// <param name="onnx">The export in progress: the recorded input's ONNX value name and traced shape, and where the nodes are appended.</param>
    /// <returns>The ONNX value name of the padded tensor.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        int rank = onnx.InputShape(0).Length, dims = _pad.Length / 2;
        var begins = new long[rank];
        var ends = new long[rank];
        var cropAxes = new List<long>();
        var cropStarts = new List<long>();
        var cropEnds = new List<long>();
        for (int k = 0; k < dims; k++)
        {
            int axis = rank - 1 - k, before = _pad[2 * k], after = _pad[(2 * k) + 1];
            begins[axis] = Math.Max(0, before);
            ends[axis] = Math.Max(0, after);
            if (before < 0 || after < 0)
            {
                cropAxes.Add(axis);
                cropStarts.Add(Math.Max(0, -before));
                cropEnds.Add(after < 0 ? after : long.MaxValue);
            }
        }

        bool grows = begins.Any(p => p != 0) || ends.Any(p => p != 0);
        string Crop(string value) => cropAxes.Count == 0
            ? value
            : onnx.Node("Slice", [value, onnx.Int64s([.. cropStarts]), onnx.Int64s([.. cropEnds]), onnx.Int64s([.. cropAxes])]);

        if (!grows)
        {
            return cropAxes.Count == 0 ? onnx.Node("Identity", [onnx.Input(0)]) : Crop(onnx.Input(0));
        }

        if (Mode == PadMode.Circular)
        {
            string x = Crop(onnx.Input(0));
            for (int axis = 0; axis < rank; axis++)
            {
                if (begins[axis] == 0 && ends[axis] == 0)
                {
                    continue;
                }

                var parts = new List<string>();
                string along = onnx.Int64s([axis]);
                if (begins[axis] > 0)
                {
                    parts.Add(onnx.Node("Slice", [x, onnx.Int64s([-begins[axis]]), onnx.Int64s([long.MaxValue]), along]));
                }

                parts.Add(x);
                if (ends[axis] > 0)
                {
                    parts.Add(onnx.Node("Slice", [x, onnx.Int64s([0]), onnx.Int64s([ends[axis]]), along]));
                }

                x = onnx.Node("Concat", parts, new OnnxAttribute("axis", axis));
            }

            return x;
        }

        string pads = onnx.Int64s([.. begins, .. ends]);
        string padded = Mode switch
        {
            PadMode.Constant when Value == 0 => onnx.Node("Pad", [onnx.Input(0), pads], new OnnxAttribute("mode", "constant")),
            PadMode.Constant => onnx.Node("Pad", [onnx.Input(0), pads, onnx.Constant([(float)Value], [])], new OnnxAttribute("mode", "constant")),
            PadMode.Reflect => onnx.Node("Pad", [onnx.Input(0), pads], new OnnxAttribute("mode", "reflect")),
            _ => onnx.Node("Pad", [onnx.Input(0), pads], new OnnxAttribute("mode", "edge")),
        };
        return Crop(padded);
    }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it, each mode in 1, 2 and 3 dims, with negative pads and unbatched.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("pad_constant", x => Tensor.Pad(x[0], [1, 2], value: 0.5), OpRegistry.In([2, 3, 4])),
        new("pad_constant_negative_3d", x => Tensor.Pad(x[0], [-1, 2, 1, -1, 0, 1]), OpRegistry.In([2, 3, 4])),
        new("pad_reflect_1d", x => Tensor.Pad(x[0], [2, 3], PadMode.Reflect), OpRegistry.In([2, 3, 5])),
        new("pad_reflect_2d", x => Tensor.Pad(x[0], [1, 2, 2, 1], PadMode.Reflect), OpRegistry.In([2, 2, 4, 5])),
        new("pad_reflect_3d_negative", x => Tensor.Pad(x[0], [1, -1, 0, 2, 1, 0], PadMode.Reflect), OpRegistry.In([1, 2, 3, 3, 4])),
        new("pad_replicate_2d_unbatched", x => Tensor.Pad(x[0], [2, 1, 0, 3], PadMode.Replicate), OpRegistry.In([2, 4, 3])),
        new("pad_replicate_1d", x => Tensor.Pad(x[0], [3, 1], PadMode.Replicate), OpRegistry.In([2, 2, 4])),
        new("pad_circular_2d", x => Tensor.Pad(x[0], [1, 2, 3, 1], PadMode.Circular), OpRegistry.In([1, 2, 4, 5])),
        new("pad_circular_1d_negative", x => Tensor.Pad(x[0], [-1, 2], PadMode.Circular), OpRegistry.In([2, 2, 5])),
        new("pad_positions", x => PaddingOps.SamplePadMap().ApplyRecorded(x[0]), OpRegistry.In([1, 2, 3, 4])),
        new("pad_positions_backward", x => PaddingOps.SamplePadMap().Transposed.ApplyRecorded(x[0]), OpRegistry.In([1, 2, 6, 7])),
    ];
}
