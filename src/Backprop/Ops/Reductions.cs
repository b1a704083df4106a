using Backprop.Kernels;

namespace Backprop;

// sum, mean, max, min (whole tensor or along dims): forward and backward side by side.
/// <summary>
/// Reductions of <see cref="Tensor"/>: sum, mean, max and min over the whole tensor or along dims.
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class ReductionOps
{
    extension(Tensor self)
    {
        /// <summary>Sum of all elements, a rank-0 tensor (<c>torch.sum</c>). d/dx_i = 1.</summary>
        public Tensor Sum()
        {
            Tensor.RequireFloat("sum", self);
            var x = self;
            var result = Broadcasting.SumToShape("sum", x, []);
            return Tensor.Record(SumDefinition.All, result == x ? x.Detach() : result, [x], g => [Broadcasting.Expand("sum", g, x._shape)]);
        }

        /// <summary>Sum along <paramref name="dim"/> (<c>x.sum(dim, keepdim)</c>). d/dx = the upstream gradient broadcast back.</summary>
        public Tensor Sum(int dim, bool keepDim = false) => self.Sum([dim], keepDim);

        /// <summary>Sum along several dims (<c>x.sum((d0, d1), keepdim)</c>).</summary>
        public Tensor Sum(int[] dims, bool keepDim = false)
        {
            Tensor.RequireFloat("sum", self);
            var x = self;
            var kept = self.KeptShape("sum", dims);
            var result = Broadcasting.SumToShape("sum", x, kept);
            if (ReferenceEquals(result, x))
            {
                result = x.Detach();
            }

            var shape = keepDim ? kept : self.DroppedShape(kept, dims);
            var output = new Tensor(result._data, shape);
            return Tensor.Record(new SumDefinition(dims, keepDim), output, [x], g => [Broadcasting.Expand("sum", new Tensor(g._data, kept), x._shape)]);
        }

        /// <summary>Mean of all elements (<c>torch.mean</c>). d/dx_i = 1/n.</summary>
        public Tensor Mean() => self.Sum() / self.Numel;

        /// <summary>Mean along <paramref name="dim"/> (<c>x.mean(dim, keepdim)</c>). d/dx_i = 1/n along the dim.</summary>
        public Tensor Mean(int dim, bool keepDim = false) => self.Mean([dim], keepDim);

        /// <summary>Mean along several dims.</summary>
        public Tensor Mean(int[] dims, bool keepDim = false)
        {
            // A loop rather than dims.Select(...).Distinct(): a lambda would capture the receiver and
            // allocate a closure on every call.
            int count = 1;
            var seen = new HashSet<int>();
            foreach (int dim in dims)
            {
                int d = Shapes.WrapDim("mean", dim, self.Rank);
                if (seen.Add(d))
                {
                    count *= self.Rank == 0 ? 1 : self._shape[d];
                }
            }

            return self.Sum(dims, keepDim) / count;
        }

        /// <summary>Largest element, rank-0 (<c>torch.max(x)</c>). The gradient flows to the first maximal element.</summary>
        public Tensor Max() => self.Flatten().Max(0).Values;

        /// <summary>Smallest element, rank-0 (<c>torch.min(x)</c>). The gradient flows to the first minimal element.</summary>
        public Tensor Min() => self.Flatten().Min(0).Values;

        /// <summary>
        /// Largest values along <paramref name="dim"/> and their indices (<c>torch.max(x, dim, keepdim)</c>).
        /// The gradient of each value flows to the element at its index.
        /// </summary>
        public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false) => self.Extreme(new MaxDefinition(dim, keepDim), dim, keepDim, max: true);

        /// <summary>Smallest values along <paramref name="dim"/> and their indices (<c>torch.min(x, dim, keepdim)</c>).</summary>
        public (Tensor Values, Tensor Indices) Min(int dim, bool keepDim = false) => self.Extreme(new MinDefinition(dim, keepDim), dim, keepDim, max: false);

        private (Tensor Values, Tensor Indices) Extreme(OpDefinition definition, int dim, bool keepDim, bool max)
        {
            string op = definition.Name;
            Tensor.RequireFloat(op, self);
            var x = self;
            int d = Shapes.WrapDim(op, dim, self.Rank);
            int n = self.Rank == 0 ? 1 : self._shape[d];
            if (n == 0)
            {
                throw new ArgumentException($"{op}: cannot reduce over dim {dim} of size 0 in shape {Shapes.Format(self._shape)}");
            }

            int outer = 1, inner = 1;
            for (int i = 0; i < d; i++)
            {
                outer *= self._shape[i];
            }

            for (int i = d + 1; i < self.Rank; i++)
            {
                inner *= self._shape[i];
            }

            var kept = self.Rank == 0 ? [] : (int[])self._shape.Clone();
            if (self.Rank > 0)
            {
                kept[d] = 1;
            }

            var values = Tensor.Empty(kept, self.DType);
            var indices = Tensor.Empty(kept, DType.Int64);
            var idx = indices.I64;
            for (int o = 0; o < outer; o++)
            {
                for (int i = 0; i < inner; i++)
                {
                    int bestK = 0;
                    double best = self.GetDouble(o * n * inner + i);
                    for (int k = 1; k < n; k++)
                    {
                        double v = self.GetDouble((((o * n) + k) * inner) + i);
                        if ((max ? v > best : v < best) || (double.IsNaN(v) && !double.IsNaN(best)))
                        {
                            best = v;
                            bestK = k;
                        }
                    }

                    values.SetDouble((o * inner) + i, best);
                    idx[(o * inner) + i] = bestK;
                }
            }

            var shape = keepDim || self.Rank == 0 ? kept : self.DroppedShape(kept, [d]);
            var outValues = Tensor.Record(definition, new Tensor(values._data, shape), [x], g =>
            {
                var grad = Tensor.Zeros(x._shape, x.DType);
                for (int o = 0; o < outer; o++)
                {
                    for (int i = 0; i < inner; i++)
                    {
                        int j = (o * inner) + i;
                        grad.SetDouble((((o * n) + (int)idx[j]) * inner) + i, g.GetDouble(j));
                    }
                }

                return [grad];
            });
            return (outValues, new Tensor(indices._data, shape));
        }

        /// <summary>This tensor's shape with each of <paramref name="dims"/> set to 1.</summary>
        private int[] KeptShape(string op, int[] dims)
        {
            var kept = (int[])self._shape.Clone();
            foreach (int dim in dims)
            {
                int d = Shapes.WrapDim(op, dim, self.Rank);
                if (self.Rank > 0)
                {
                    kept[d] = 1;
                }
            }

            return kept;
        }

        private int[] DroppedShape(int[] kept, int[] dims)
        {
            var wrapped = dims.Select(d => Shapes.WrapDim("reduce", d, self.Rank)).ToHashSet();
            return kept.Where((_, i) => !wrapped.Contains(i)).ToArray();
        }
    }
}

/// <summary>The definition of <see cref="ReductionOps.extension(Tensor).Sum()"/> and its overloads along dims.</summary>
public sealed class SumDefinition : OpDefinition, IGradCheckSamples
{
    internal SumDefinition(int[]? dims, bool keepDim)
        : base("sum", "y = Σᵢ xᵢ (over the dims); ∂y/∂xᵢ = 1, so ∂L/∂x = g broadcast back to x's shape")
    {
        Dims = dims is null ? null : [.. dims];
        KeepDim = keepDim;
    }

    /// <summary>The shared instance for the sum of all elements (<see cref="Dims"/> null).</summary>
    internal static SumDefinition All { get; } = new(null, keepDim: false);

    /// <summary>The dims summed over, as given (may be negative), or null for all of them (PyTorch's <c>dim</c>).</summary>
    public IReadOnlyList<int>? Dims { get; }

    /// <summary>Whether the summed dims are kept with size 1 (PyTorch's <c>keepdim</c>).</summary>
    public bool KeepDim { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => Dims is null ? string.Empty : $"dim: {FormatList(Dims)}, keepDim: {(KeepDim ? "true" : "false")}";

    /// <summary>
    /// ONNX ReduceSum(x, axes, keepdims) with the axes as an int64 input (opset 13+); the sum of all
    /// elements leaves the axes out, which reduces over every dim.
    /// </summary>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        int rank = onnx.InputShape(0).Length;
        if (rank == 0)
        {
            return LowerAs(onnx, "Identity");
        }

        if (Dims is null)
        {
            return LowerAs(onnx, "ReduceSum", new OnnxAttribute("keepdims", 0));
        }

        long[] axes = [.. Dims.Select(d => Axis(d, rank)).Distinct().Order()];
        return onnx.Node("ReduceSum", [onnx.Input(0), onnx.Int64s(axes)], new OnnxAttribute("keepdims", KeepDim ? 1 : 0));
    }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("sum", x => x[0].Sum(), OpRegistry.In([3, 4])),
        new("sum_dim", x => x[0].Sum(1), OpRegistry.In([2, 3, 4])),
        new("sum_dims_keepdim", x => x[0].Sum([0, 2], keepDim: true), OpRegistry.In([2, 3, 4])),
        new("mean", x => x[0].Mean(), OpRegistry.In([3, 4])),
        new("mean_dim", x => x[0].Mean(-1, keepDim: true), OpRegistry.In([2, 3, 4])),
    ];
}

/// <summary>The definition of <see cref="ReductionOps.extension(Tensor).Max(int, bool)"/> along a dim as given (may be negative; the values; the indices are not differentiable).</summary>
public sealed class MaxDefinition : DimReductionDefinition, IGradCheckSamples
{
    internal MaxDefinition(int dim, bool keepDim)
        : base("max", "y = maxₖ xₖ along dim; ∂L/∂xₖ = g at the first maximal k, else 0", dim, keepDim)
    {
    }

    /// <summary>ONNX ReduceMax over the dim (the values; the indices are not part of the graph).</summary>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAsReduction(onnx, "ReduceMax");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("max", x => x[0].Max(), OpRegistry.In([3, 4])),
        new("max_dim", x => x[0].Max(1).Values, OpRegistry.In([2, 3, 4])),
    ];
}

/// <summary>The definition of <see cref="ReductionOps.extension(Tensor).Min(int, bool)"/> along a dim as given (may be negative; the values; the indices are not differentiable).</summary>
public sealed class MinDefinition : DimReductionDefinition, IGradCheckSamples
{
    internal MinDefinition(int dim, bool keepDim)
        : base("min", "y = minₖ xₖ along dim; ∂L/∂xₖ = g at the first minimal k, else 0", dim, keepDim)
    {
    }

    /// <summary>ONNX ReduceMin over the dim (the values; the indices are not part of the graph).</summary>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAsReduction(onnx, "ReduceMin");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("min_dim", x => x[0].Min(0, keepDim: true).Values, OpRegistry.In([3, 4])),
    ];
}
