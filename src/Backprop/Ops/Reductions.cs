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
        /// <returns>A new rank-0 tensor of this one's dtype.</returns>
        public Tensor Sum()
        {
            Tensor.RequireFloat("sum", self);
            var x = self;
            var result = Broadcasting.SumToShape("sum", x, []);
            return Tensor.Record(SumDefinition.All, result == x ? x.Detach() : result, [x], g =>
                [Autograd.IsGradEnabled ? g.BroadcastTo(x._shape) : Broadcasting.Expand("sum", g, x._shape)]);
        }

        /// <summary>Sum along <paramref name="dim"/> (<c>x.sum(dim, keepdim)</c>). d/dx = the upstream gradient broadcast back.</summary>
        /// <param name="dim">The dim summed over (negative counts from the end).</param>
        /// <param name="keepDim">Whether the reduced dim stays in the result with size 1 (PyTorch's <c>keepdim</c>).</param>
        /// <returns>A new tensor of this one's dtype and shape without <paramref name="dim"/> (size 1 with <paramref name="keepDim"/>).</returns>
        public Tensor Sum(int dim, bool keepDim = false) => self.Sum([dim], keepDim);

        /// <summary>Sum along several dims (<c>x.sum((d0, d1), keepdim)</c>).</summary>
        /// <param name="dims">The dims reduced over (negative counts from the end), each at most once.</param>
        /// <param name="keepDim">Whether the reduced dims stay in the result with size 1 (PyTorch's <c>keepdim</c>).</param>
        /// <returns>A new tensor of this one's dtype and shape without <paramref name="dims"/> (size 1 with <paramref name="keepDim"/>).</returns>
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
            return Tensor.Record(new SumDefinition(dims, keepDim), output, [x], g =>
                [Autograd.IsGradEnabled ? g.Reshape(kept).BroadcastTo(x._shape) : Broadcasting.Expand("sum", new Tensor(g._data, kept), x._shape)]);
        }

        /// <summary>
        /// Sums this tensor down to <paramref name="size"/>, which must broadcast to its shape
        /// (<c>x.sum_to_size(size)</c>): the leading dims it lacks and the dims where it has 1 are summed
        /// over. The adjoint of <see cref="ShapeOps.extension(Tensor).BroadcastTo(int[])"/>, and how a gradient of a
        /// broadcast output is reduced to its input's shape. This tensor itself when the shapes agree.
        /// </summary>
        /// <param name="size">The shape of the result, broadcasting to this tensor's shape.</param>
        /// <returns>A tensor of shape <paramref name="size"/>, recorded as sum and reshape.</returns>
        /// <exception cref="ArgumentException"><paramref name="size"/> does not broadcast to this tensor's shape.</exception>
        public Tensor SumToSize(params int[] size)
        {
            ArgumentNullException.ThrowIfNull(size);
            Tensor.RequireFloat("sum_to_size", self);
            if (self._shape.AsSpan().SequenceEqual(size))
            {
                return self;
            }

            int lead = self.Rank - size.Length;
            bool fits = lead >= 0;
            for (int d = 0; fits && d < size.Length; d++)
            {
                fits = size[d] == self._shape[lead + d] || size[d] == 1;
            }

            if (!fits)
            {
                throw new ArgumentException($"sum_to_size: size {Shapes.Format(size)} does not broadcast to the tensor's shape {Shapes.Format(self._shape)}");
            }

            var dims = new List<int>();
            for (int d = 0; d < self.Rank; d++)
            {
                if (d < lead || (size[d - lead] == 1 && self._shape[d] != 1))
                {
                    dims.Add(d);
                }
            }

            return (dims.Count == 0 ? self : self.Sum([.. dims], keepDim: true)).Reshape(size);
        }

        /// <summary>Mean of all elements (<c>torch.mean</c>). d/dx_i = 1/n.</summary>
        /// <returns>A new rank-0 tensor of this one's dtype.</returns>
        public Tensor Mean() => self.Sum() / self.Numel;

        /// <summary>Mean along <paramref name="dim"/> (<c>x.mean(dim, keepdim)</c>). d/dx_i = 1/n along the dim.</summary>
        /// <param name="dim">The dim summed over (negative counts from the end).</param>
        /// <param name="keepDim">Whether the reduced dim stays in the result with size 1 (PyTorch's <c>keepdim</c>).</param>
        /// <returns>A new tensor of this one's dtype and shape without <paramref name="dim"/> (size 1 with <paramref name="keepDim"/>).</returns>
        public Tensor Mean(int dim, bool keepDim = false) => self.Mean([dim], keepDim);

        /// <summary>Mean along several dims.</summary>
        /// <param name="dims">The dims reduced over (negative counts from the end), each at most once.</param>
        /// <param name="keepDim">Whether the reduced dims stay in the result with size 1 (PyTorch's <c>keepdim</c>).</param>
        /// <returns>A new tensor of this one's dtype and shape without <paramref name="dims"/> (size 1 with <paramref name="keepDim"/>).</returns>
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

        /// <summary>
        /// Largest element, rank-0 (<c>torch.max(x)</c>). The gradient is split evenly among the elements
        /// equal to the maximum, as PyTorch's: with k tied elements each gets g/k (and when the maximum is
        /// NaN, the NaN elements share it).
        /// </summary>
        /// <returns>A new rank-0 tensor of this one's dtype.</returns>
        /// <exception cref="ArgumentException">The tensor is empty or not float.</exception>
        public Tensor Max() => self.ExtremeOver(new AmaxDefinition("max", null, keepDim: false), null, keepDim: false, max: true);

        /// <summary>
        /// Smallest element, rank-0 (<c>torch.min(x)</c>). The gradient is split evenly among the elements
        /// equal to the minimum, as PyTorch's (g/k to each of k tied elements).
        /// </summary>
        /// <returns>A new rank-0 tensor of this one's dtype.</returns>
        /// <exception cref="ArgumentException">The tensor is empty or not float.</exception>
        public Tensor Min() => self.ExtremeOver(new AminDefinition("min", null, keepDim: false), null, keepDim: false, max: false);

        /// <summary>
        /// Largest values over <paramref name="dims"/> (<c>torch.amax(x, dim, keepdim)</c>): all dims when
        /// null or empty. Unlike <see cref="extension(Tensor).Max(int, bool)"/> there are no indices, and the
        /// gradient of each value is split evenly among the elements equal to it (g/k to each of k ties), as PyTorch's.
        /// </summary>
        /// <param name="dims">The dims to reduce (negative counts from the end); null or empty for all of them.</param>
        /// <param name="keepDim">Keep each reduced dim with size 1.</param>
        /// <returns>A new tensor of this one's dtype and shape without the reduced dims (size 1 with <paramref name="keepDim"/>).</returns>
        /// <exception cref="ArgumentException">A dim is out of range, repeated, or of size 0.</exception>
        public Tensor Amax(int[]? dims = null, bool keepDim = false) => self.ExtremeOver(new AmaxDefinition("amax", dims, keepDim), dims, keepDim, max: true);

        /// <summary>Largest values along <paramref name="dim"/> (<c>torch.amax(x, dim, keepdim)</c>); ties share the gradient evenly.</summary>
        /// <param name="dim">The dim to reduce (negative counts from the end).</param>
        /// <param name="keepDim">Keep the reduced dim with size 1.</param>
        /// <returns>A new tensor of this one's dtype and shape without <paramref name="dim"/> (size 1 with <paramref name="keepDim"/>).</returns>
        public Tensor Amax(int dim, bool keepDim = false) => self.Amax([dim], keepDim);

        /// <summary>
        /// Smallest values over <paramref name="dims"/> (<c>torch.amin(x, dim, keepdim)</c>): all dims when
        /// null or empty; the gradient of each value is split evenly among the elements equal to it, as PyTorch's.
        /// </summary>
        /// <param name="dims">The dims to reduce (negative counts from the end); null or empty for all of them.</param>
        /// <param name="keepDim">Keep each reduced dim with size 1.</param>
        /// <returns>A new tensor of this one's dtype and shape without the reduced dims (size 1 with <paramref name="keepDim"/>).</returns>
        /// <exception cref="ArgumentException">A dim is out of range, repeated, or of size 0.</exception>
        public Tensor Amin(int[]? dims = null, bool keepDim = false) => self.ExtremeOver(new AminDefinition("amin", dims, keepDim), dims, keepDim, max: false);

        /// <summary>Smallest values along <paramref name="dim"/> (<c>torch.amin(x, dim, keepdim)</c>); ties share the gradient evenly.</summary>
        /// <param name="dim">The dim to reduce (negative counts from the end).</param>
        /// <param name="keepDim">Keep the reduced dim with size 1.</param>
        /// <returns>A new tensor of this one's dtype and shape without <paramref name="dim"/> (size 1 with <paramref name="keepDim"/>).</returns>
        public Tensor Amin(int dim, bool keepDim = false) => self.Amin([dim], keepDim);

        /// <summary>
        /// log Σ e^x over <paramref name="dims"/> (<c>torch.logsumexp(x, dim, keepdim)</c>), computed stably as
        /// m + log Σ e^(x − m) with m the maximum (0 where m is infinite, as PyTorch's), in double.
        /// d/dxᵢ = e^(xᵢ − y) = softmax(x)ᵢ. A primitive rather than the composite for that stability.
        /// </summary>
        /// <param name="dims">The dims to reduce (negative counts from the end); empty for all of them.</param>
        /// <param name="keepDim">Keep each reduced dim with size 1.</param>
        /// <returns>A new tensor of this one's dtype and shape without <paramref name="dims"/> (size 1 with <paramref name="keepDim"/>).</returns>
        /// <exception cref="ArgumentException">A dim is out of range or repeated.</exception>
        public Tensor LogSumExp(int[] dims, bool keepDim = false) => self.LogSumExpOver(dims, keepDim);

        /// <summary>log Σ e^x along <paramref name="dim"/> (<c>torch.logsumexp(x, dim, keepdim)</c>), stably; d/dx = softmax(x).</summary>
        /// <param name="dim">The dim to reduce (negative counts from the end).</param>
        /// <param name="keepDim">Keep the reduced dim with size 1.</param>
        /// <returns>A new tensor of this one's dtype and shape without <paramref name="dim"/> (size 1 with <paramref name="keepDim"/>).</returns>
        public Tensor LogSumExp(int dim, bool keepDim = false) => self.LogSumExpOver([dim], keepDim);

        /// <summary>
        /// Variance over <paramref name="dims"/> (<c>torch.var(x, dim, unbiased, keepdim)</c>, or PyTorch 2's
        /// <c>correction</c>): v = Σ(xᵢ − x̄)² / max(0, N − c) with c = 1 when unbiased (Bessel), 0 otherwise.
        /// d/dxᵢ = 2(xᵢ − x̄)/(N − c). Two passes in double.
        /// </summary>
        /// <param name="dims">The dims to reduce (negative counts from the end); null or empty for all of them.</param>
        /// <param name="unbiased">Divide by N − 1 (true, PyTorch's default) or by N.</param>
        /// <param name="keepDim">Keep each reduced dim with size 1.</param>
        /// <param name="correction">When given, replaces <paramref name="unbiased"/>: divide by N − correction.</param>
        /// <returns>A new tensor of this one's dtype and shape without the reduced dims (size 1 with <paramref name="keepDim"/>); NaN or ∞ where N ≤ c.</returns>
        /// <exception cref="ArgumentException">A dim is out of range or repeated, or the correction is not finite.</exception>
        public Tensor Var(int[]? dims = null, bool unbiased = true, bool keepDim = false, double? correction = null) =>
            self.Moments("var", dims, correction ?? (unbiased ? 1 : 0), keepDim, std: false);

        /// <summary>Variance along <paramref name="dim"/> (<c>torch.var(x, dim, unbiased, keepdim)</c>).</summary>
        /// <param name="dim">The dim to reduce (negative counts from the end).</param>
        /// <param name="unbiased">Divide by N − 1 (true, PyTorch's default) or by N.</param>
        /// <param name="keepDim">Keep the reduced dim with size 1.</param>
        /// <param name="correction">When given, replaces <paramref name="unbiased"/>: divide by N − correction.</param>
        /// <returns>A new tensor of this one's dtype and shape without <paramref name="dim"/> (size 1 with <paramref name="keepDim"/>).</returns>
        public Tensor Var(int dim, bool unbiased = true, bool keepDim = false, double? correction = null) =>
            self.Var([dim], unbiased, keepDim, correction);

        /// <summary>
        /// Standard deviation over <paramref name="dims"/> (<c>torch.std(x, dim, unbiased, keepdim)</c>): s = √v with v
        /// as <see cref="extension(Tensor).Var(int[], bool, bool, double?)"/>. d/dxᵢ = (xᵢ − x̄)/((N − c)·s), and 0 where
        /// s = 0, as PyTorch's.
        /// </summary>
        /// <param name="dims">The dims to reduce (negative counts from the end); null or empty for all of them.</param>
        /// <param name="unbiased">Divide by N − 1 (true, PyTorch's default) or by N.</param>
        /// <param name="keepDim">Keep each reduced dim with size 1.</param>
        /// <param name="correction">When given, replaces <paramref name="unbiased"/>: divide by N − correction.</param>
        /// <returns>A new tensor of this one's dtype and shape without the reduced dims (size 1 with <paramref name="keepDim"/>).</returns>
        /// <exception cref="ArgumentException">A dim is out of range or repeated, or the correction is not finite.</exception>
        public Tensor Std(int[]? dims = null, bool unbiased = true, bool keepDim = false, double? correction = null) =>
            self.Moments("std", dims, correction ?? (unbiased ? 1 : 0), keepDim, std: true);

        /// <summary>Standard deviation along <paramref name="dim"/> (<c>torch.std(x, dim, unbiased, keepdim)</c>).</summary>
        /// <param name="dim">The dim to reduce (negative counts from the end).</param>
        /// <param name="unbiased">Divide by N − 1 (true, PyTorch's default) or by N.</param>
        /// <param name="keepDim">Keep the reduced dim with size 1.</param>
        /// <param name="correction">When given, replaces <paramref name="unbiased"/>: divide by N − correction.</param>
        /// <returns>A new tensor of this one's dtype and shape without <paramref name="dim"/> (size 1 with <paramref name="keepDim"/>).</returns>
        public Tensor Std(int dim, bool unbiased = true, bool keepDim = false, double? correction = null) =>
            self.Std([dim], unbiased, keepDim, correction);

        /// <summary>
        /// Largest values along <paramref name="dim"/> and their indices (<c>torch.max(x, dim, keepdim)</c>).
        /// The gradient of each value flows to the element at its index.
        /// </summary>
        /// <param name="dim">The dim reduced over (negative counts from the end).</param>
        /// <param name="keepDim">Whether the reduced dim stays in both results with size 1 (PyTorch's <c>keepdim</c>).</param>
        /// <returns>Values: a new tensor of this one's dtype and shape without <paramref name="dim"/> (size 1 with <paramref name="keepDim"/>); Indices: a new int64 tensor of that shape, the first position of each maximum.</returns>
        public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false) => self.Extreme(new MaxDefinition(dim, keepDim), dim, keepDim, max: true);

        /// <summary>Smallest values along <paramref name="dim"/> and their indices (<c>torch.min(x, dim, keepdim)</c>).</summary>
        /// <param name="dim">The dim reduced over (negative counts from the end).</param>
        /// <param name="keepDim">Whether the reduced dim stays in both results with size 1 (PyTorch's <c>keepdim</c>).</param>
        /// <returns>Values: a new tensor of this one's dtype and shape without <paramref name="dim"/> (size 1 with <paramref name="keepDim"/>); Indices: a new int64 tensor of that shape, the first position of each minimum.</returns>
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
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): the values are x gathered at the argmax
                    // (a linear map with the positions fixed), so g is scattered back by its transpose.
                    var offsets = new int[idx.Length];
                    for (int o = 0; o < outer; o++)
                    {
                        for (int i = 0; i < inner; i++)
                        {
                            int j = (o * inner) + i;
                            offsets[j] = (((o * n) + (int)idx[j]) * inner) + i;
                        }
                    }

                    return [IndexingOps.GatherMap(x._shape, shape, offsets).Transposed.ApplyRecorded(g)];
                }

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

        /// <summary>
        /// The forward derivative of max or min along <paramref name="dim"/>: the tangent at the positions
        /// of the values (found again from this tensor, the primal).
        /// </summary>
        internal Tensor ExtremeTangent(Tensor tangent, int dim, bool keepDim, bool max)
        {
            if (self.Rank == 0)
            {
                return tangent;
            }

            var primal = self.Detach();
            var indices = (max ? primal.Max(dim, keepDim: true) : primal.Min(dim, keepDim: true)).Indices;
            var picked = tangent.Gather(dim, indices);
            return keepDim ? picked : picked.Squeeze(dim);
        }

        /// <summary>
        /// max or min over dims into a new node of <paramref name="definition"/>; the backward splits each
        /// value's gradient evenly among the elements equal to it (NaN ties NaN).
        /// </summary>
        private Tensor ExtremeOver(OpDefinition definition, int[]? dims, bool keepDim, bool max)
        {
            string op = definition.Name;
            Tensor.RequireFloat(op, self);
            var x = self;
            var groups = ReductionGroups.Of(op, x, dims, keepDim);
            if (groups.GroupSize == 0 && groups.Outputs > 0)
            {
                throw new ArgumentException($"{op}: cannot reduce over a dim of size 0 in shape {Shapes.Format(x._shape)} (the {op} of no elements is undefined)");
            }

            double[] xs = x.ToArray();
            int[] slots = groups.Slots;
            var best = new double[groups.Outputs];
            Array.Fill(best, max ? double.NegativeInfinity : double.PositiveInfinity);
            for (int i = 0; i < xs.Length; i++)
            {
                double v = xs[i], b = best[slots[i]];
                if ((max ? v > b : v < b) || (double.IsNaN(v) && !double.IsNaN(b)))
                {
                    best[slots[i]] = v;
                }
            }

            var output = Tensor.Empty(groups.Shape, x.DType);
            for (int j = 0; j < best.Length; j++)
            {
                output.SetDouble(j, best[j]);
            }

            return Tensor.Record(definition, output, [x], g =>
            {
                static bool Ties(double v, double b) => v == b || (double.IsNaN(v) && double.IsNaN(b));
                double[] values = x.ToArray();
                var count = new int[best.Length];
                for (int i = 0; i < values.Length; i++)
                {
                    count[slots[i]] += Ties(values[i], best[slots[i]]) ? 1 : 0;
                }

                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): g broadcast back, times the constant
                    // share 1/count of each tied element.
                    var share = Tensor.Zeros(x._shape, x.DType);
                    for (int i = 0; i < values.Length; i++)
                    {
                        share.SetDouble(i, Ties(values[i], best[slots[i]]) ? 1.0 / count[slots[i]] : 0);
                    }

                    return [g.Reshape(KeptShapeOf(x, dims)).BroadcastTo(x._shape) * share];
                }

                var grad = Tensor.Zeros(x._shape, x.DType);
                for (int i = 0; i < values.Length; i++)
                {
                    int s = slots[i];
                    if (Ties(values[i], best[s]))
                    {
                        grad.SetDouble(i, g.GetDouble(s) / count[s]);
                    }
                }

                return [grad];
            });
        }

        private Tensor LogSumExpOver(int[] dims, bool keepDim)
        {
            const string op = "logsumexp";
            ArgumentNullException.ThrowIfNull(dims);
            Tensor.RequireFloat(op, self);
            var x = self;
            var groups = ReductionGroups.Of(op, x, dims, keepDim);
            double[] xs = x.ToArray();
            int[] slots = groups.Slots;
            var shift = new double[groups.Outputs];
            Array.Fill(shift, double.NegativeInfinity);
            for (int i = 0; i < xs.Length; i++)
            {
                shift[slots[i]] = Math.Max(shift[slots[i]], xs[i]);
            }

            for (int j = 0; j < shift.Length; j++)
            {
                shift[j] = double.IsInfinity(shift[j]) ? 0 : shift[j];
            }

            var sums = new double[groups.Outputs];
            for (int i = 0; i < xs.Length; i++)
            {
                sums[slots[i]] += Math.Exp(xs[i] - shift[slots[i]]);
            }

            var lse = new double[groups.Outputs];
            var output = Tensor.Empty(groups.Shape, x.DType);
            for (int j = 0; j < lse.Length; j++)
            {
                lse[j] = Math.Log(sums[j]) + shift[j];
                output.SetDouble(j, lse[j]);
            }

            return Tensor.Record(new LogSumExpDefinition(dims, keepDim), output, [x], g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): g·softmax(x) over the dims, as ops.
                    var kept = KeptShapeOf(x, dims);
                    return [g.Reshape(kept) * (x - output.Reshape(kept)).Exp()];
                }

                double[] values = x.ToArray();
                var grad = Tensor.Empty(x._shape, x.DType);
                for (int i = 0; i < values.Length; i++)
                {
                    grad.SetDouble(i, g.GetDouble(slots[i]) * Math.Exp(values[i] - lse[slots[i]]));
                }

                return [grad];
            });
        }

        private Tensor Moments(string op, int[]? dims, double correction, bool keepDim, bool std)
        {
            if (!double.IsFinite(correction))
            {
                throw new ArgumentException($"{op}: correction must be a finite number, got {correction.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
            }

            Tensor.RequireFloat(op, self);
            var x = self;
            var groups = ReductionGroups.Of(op, x, dims, keepDim);
            double[] xs = x.ToArray();
            int[] slots = groups.Slots;
            int n = groups.GroupSize;
            var mean = new double[groups.Outputs];
            for (int i = 0; i < xs.Length; i++)
            {
                mean[slots[i]] += xs[i];
            }

            for (int j = 0; j < mean.Length; j++)
            {
                mean[j] /= n;
            }

            var squares = new double[groups.Outputs];
            for (int i = 0; i < xs.Length; i++)
            {
                double d = xs[i] - mean[slots[i]];
                squares[slots[i]] += d * d;
            }

            double dof = Math.Max(0, n - correction);
            var result = new double[groups.Outputs];
            var output = Tensor.Empty(groups.Shape, x.DType);
            for (int j = 0; j < result.Length; j++)
            {
                result[j] = std ? Math.Sqrt(squares[j] / dof) : squares[j] / dof;
                output.SetDouble(j, result[j]);
            }

            return Tensor.Record(new VarDefinition(op, dims, correction, keepDim), output, [x], g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): 2(x − mean)/dof times g (over 2·std for std).
                    var kept = KeptShapeOf(x, dims);
                    var upstream = std ? g.Reshape(kept) / (2.0 * output.Reshape(kept)) : g.Reshape(kept);
                    return [upstream * (2.0 / dof) * (x - x.Mean(ReducedDimsOf(x, dims), keepDim: true))];
                }

                double[] values = x.ToArray();
                var grad = Tensor.Empty(x._shape, x.DType);
                for (int i = 0; i < values.Length; i++)
                {
                    int s = slots[i];
                    double upstream = g.GetDouble(s);
                    double dv = std ? (result[s] == 0 ? 0 : upstream / (2 * result[s])) : upstream;
                    grad.SetDouble(i, dv * 2 * (values[i] - mean[s]) / dof);
                }

                return [grad];
            });
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

    /// <summary>The shape <paramref name="x"/> reduced over <paramref name="dims"/> keeps (each reduced dim 1; all of them when dims is null or empty).</summary>
    private static int[] KeptShapeOf(Tensor x, IReadOnlyList<int>? dims) =>
        dims is null || dims.Count == 0 ? [.. Enumerable.Repeat(1, x.Rank)] : x.KeptShape("reduce", [.. dims]);

    /// <summary>The dims a reduction over <paramref name="dims"/> of <paramref name="x"/> sums over: all of them when dims is null or empty.</summary>
    private static int[] ReducedDimsOf(Tensor x, IReadOnlyList<int>? dims) =>
        dims is null || dims.Count == 0 ? [.. Enumerable.Range(0, x.Rank)] : [.. dims];

    /// <summary>The tangent of a reduction over dims: Σ over the dims of <paramref name="tangent"/>·<paramref name="weight"/>, keeping the dims as the op did.</summary>
    internal static Tensor ReduceTangent(Tensor tangent, Tensor weight, Tensor x, IReadOnlyList<int>? dims, bool keepDim)
    {
        var product = tangent * weight;
        return x.Rank == 0 ? product : product.Sum(ReducedDimsOf(x, dims), keepDim);
    }

    /// <summary>Each element's share of a max/min over dims: 1/count where it ties the result (count = the ties in its group), else 0.</summary>
    internal static Tensor TieShares(Tensor x, Tensor output, IReadOnlyList<int>? dims)
    {
        var ties = x.Eq(output.Reshape(KeptShapeOf(x, dims)));
        return x.Rank == 0 ? ties : ties / ties.Sum(ReducedDimsOf(x, dims), keepDim: true);
    }

    /// <summary>softmax(x) over dims, from x and its log-sum-exp <paramref name="output"/>: e^(x − lse).</summary>
    internal static Tensor SoftmaxOver(Tensor x, Tensor output, IReadOnlyList<int>? dims) =>
        (x - output.Reshape(KeptShapeOf(x, dims))).Exp();

    /// <summary>The tangent of var (or std) over dims: Σ 2(x − mean)·ẋ / dof (over 2·std for std).</summary>
    internal static Tensor MomentTangent(Tensor tangent, Tensor x, Tensor output, IReadOnlyList<int>? dims, double correction, bool keepDim, bool std)
    {
        var reduced = ReducedDimsOf(x, dims);
        int n = 1;
        foreach (int d in reduced)
        {
            n *= x.Rank == 0 ? 1 : x._shape[Shapes.WrapDim("var", d, x.Rank)];
        }

        double dof = Math.Max(0, n - correction);
        var centered = x.Rank == 0 ? x * 0.0 : x - x.Mean(reduced, keepDim: true);
        var variance = ReduceTangent(tangent, centered * (2.0 / dof), x, dims, keepDim);
        return std ? variance / (2.0 * output) : variance;
    }

    /// <summary>
    /// A reduction of a tensor over some dims as plain index arithmetic: the output's shape, the output
    /// slot of every input element (row-major), the number of outputs and of elements per output.
    /// </summary>
    private readonly record struct ReductionGroups(int[] Shape, int[] Slots, int Outputs, int GroupSize)
    {
        /// <summary>Groups <paramref name="x"/>'s elements by output for <paramref name="dims"/> (all when null or empty); throws on a repeated or out-of-range dim.</summary>
        public static ReductionGroups Of(string op, Tensor x, int[]? dims, bool keepDim)
        {
            int rank = x.Rank;
            var reduced = new bool[Math.Max(rank, 1)];
            if (dims is null || dims.Length == 0)
            {
                Array.Fill(reduced, true);
            }
            else
            {
                foreach (int dim in dims)
                {
                    int d = Shapes.WrapDim(op, dim, rank);
                    if (reduced[d])
                    {
                        throw new ArgumentException($"{op}: dim {d} appears more than once in the dims [{string.Join(", ", dims)}]");
                    }

                    reduced[d] = true;
                }
            }

            var kept = (int[])x._shape.Clone();
            var dropped = new List<int>(rank);
            for (int d = 0; d < rank; d++)
            {
                if (reduced[d])
                {
                    kept[d] = 1;
                }
                else
                {
                    dropped.Add(x._shape[d]);
                }
            }

            var slots = new int[x.Numel];
            if (rank > 0 && slots.Length > 0)
            {
                var strides = Shapes.BroadcastStrides(kept, x._shape);
                var index = new int[rank];
                int slot = 0;
                for (int i = 0; i < slots.Length; i++)
                {
                    slots[i] = slot;
                    for (int d = rank - 1; d >= 0; d--)
                    {
                        slot += strides[d];
                        if (++index[d] < x._shape[d])
                        {
                            break;
                        }

                        slot -= strides[d] * x._shape[d];
                        index[d] = 0;
                    }
                }
            }

            int outputs = Shapes.Numel(kept);
            return new ReductionGroups(keepDim ? kept : [.. dropped], slots, outputs, outputs == 0 ? 0 : x.Numel / outputs);
        }
    }
}

/// <summary>The definition of <see cref="ReductionOps.extension(Tensor).Sum()"/> and its overloads along dims.</summary>
public sealed class SumDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        Dims is null ? tangents[0]!.Sum() : tangents[0]!.Sum([.. Dims], KeepDim);

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
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
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
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        inputs[0].ExtremeTangent(tangents[0]!, Dim, KeepDim, max: true);

    internal MaxDefinition(int dim, bool keepDim)
        : base("max", "y = maxₖ xₖ along dim; ∂L/∂xₖ = g at the first maximal k, else 0", dim, keepDim)
    {
    }

    /// <summary>ONNX ReduceMax over the dim (the values; the indices are not part of the graph).</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAsReduction(onnx, "ReduceMax");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("max_dim", x => x[0].Max(1).Values, OpRegistry.In([2, 3, 4])),
        new("max_dim_keepdim_last", x => x[0].Max(-1, keepDim: true).Values, OpRegistry.In([3, 4])),
    ];
}

/// <summary>The definition of <see cref="ReductionOps.extension(Tensor).Min(int, bool)"/> along a dim as given (may be negative; the values; the indices are not differentiable).</summary>
public sealed class MinDefinition : DimReductionDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        inputs[0].ExtremeTangent(tangents[0]!, Dim, KeepDim, max: false);

    internal MinDefinition(int dim, bool keepDim)
        : base("min", "y = minₖ xₖ along dim; ∂L/∂xₖ = g at the first minimal k, else 0", dim, keepDim)
    {
    }

    /// <summary>ONNX ReduceMin over the dim (the values; the indices are not part of the graph).</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAsReduction(onnx, "ReduceMin");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("min_dim", x => x[0].Min(0, keepDim: true).Values, OpRegistry.In([3, 4])),
        new("min_dim_3d", x => x[0].Min(1).Values, OpRegistry.In([2, 3, 4])),
    ];
}

/// <summary>
/// A reduction over a set of dims (all of them when <see cref="Dims"/> is null) that may keep them with
/// size 1: amax, amin, logsumexp, var, std. The sealed subclass says which op; this holds the dims.
/// </summary>
public abstract class DimsReductionDefinition : OpDefinition
{
    /// <summary>Creates a definition named <paramref name="name"/> reducing <paramref name="dims"/>.</summary>
    /// <param name="name">The op's name.</param>
    /// <param name="formula">The forward and its derivative in plain text.</param>
    /// <param name="dims">The dims reduced, as given (may be negative); null or empty for all of them.</param>
    /// <param name="keepDim">Whether the reduced dims are kept with size 1.</param>
    protected DimsReductionDefinition(string name, string formula, int[]? dims, bool keepDim)
        : base(name, formula)
    {
        Dims = dims is null || dims.Length == 0 ? null : [.. dims];
        KeepDim = keepDim;
    }

    /// <summary>The dims reduced over, as given (may be negative), or null for all of them (PyTorch's <c>dim</c>).</summary>
    public IReadOnlyList<int>? Dims { get; }

    /// <summary>Whether the reduced dims are kept with size 1 (PyTorch's <c>keepdim</c>).</summary>
    public bool KeepDim { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() =>
        Dims is null && !KeepDim ? string.Empty : $"dim: {FormatList(Dims)}, keepDim: {(KeepDim ? "true" : "false")}";

    /// <summary>The reduced axes, non-negative and sorted, for a tensor of rank <paramref name="rank"/>, or null for all.</summary>
    /// <param name="rank">The rank of the tensor reduced.</param>
    /// <returns>The axes, or null when the op reduces over all dims.</returns>
    protected long[]? Axes(int rank) => Dims is null ? null : [.. Dims.Select(d => Axis(d, rank)).Distinct().Order()];

    /// <summary>
    /// The ONNX reduction <paramref name="opType"/> of <paramref name="input"/> over the dims, keepdims as
    /// given; the axes are an input from <paramref name="axesInputFrom"/> on (18 for ReduceMax, 13 for
    /// ReduceSum), an attribute before, and left out for all dims.
    /// </summary>
    /// <param name="onnx">The export in progress.</param>
    /// <param name="opType">The ONNX reduction, e.g. <c>ReduceSum</c>.</param>
    /// <param name="input">The value name of the tensor reduced.</param>
    /// <param name="axes">The non-negative axes reduced, or null for all.</param>
    /// <param name="keepDims">Whether the reduced dims stay with size 1.</param>
    /// <param name="axesInputFrom">The first opset in which this reduction takes its axes as an input (default 18).</param>
    /// <returns>The name of the ONNX value holding the reduction.</returns>
    protected static string Reduce(IOnnxLowering onnx, string opType, string input, long[]? axes, bool keepDims, int axesInputFrom = 18)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        var keep = new OnnxAttribute("keepdims", keepDims ? 1 : 0);
        if (axes is null)
        {
            return onnx.Node(opType, [input], keep);
        }

        return onnx.Opset >= axesInputFrom
            ? onnx.Node(opType, [input, onnx.Int64s(axes)], keep)
            : onnx.Node(opType, [input], keep, new OnnxAttribute("axes", axes));
    }

    /// <summary>The reduction <paramref name="opType"/> of the op's one input over its dims (Identity for a rank-0 input).</summary>
    /// <param name="onnx">The export in progress, whose one recorded input is reduced.</param>
    /// <param name="opType">The ONNX reduction, e.g. <c>ReduceMax</c> or <c>ReduceLogSumExp</c>.</param>
    /// <returns>The name of the ONNX value holding the reduction.</returns>
    protected string LowerAsReduction(IOnnxLowering onnx, string opType)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        int rank = onnx.InputShape(0).Length;
        return rank == 0 ? LowerAs(onnx, "Identity") : Reduce(onnx, opType, onnx.Input(0), Axes(rank), KeepDim);
    }
}

/// <summary>
/// The definition of <see cref="ReductionOps.extension(Tensor).Amax(int[], bool)"/> and of the whole-tensor
/// <see cref="ReductionOps.extension(Tensor).Max()"/> (named <c>max</c>, <see cref="DimsReductionDefinition.Dims"/> null).
/// </summary>
public sealed class AmaxDefinition : DimsReductionDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        ReductionOps.ReduceTangent(tangents[0]!, ReductionOps.TieShares(inputs[0], output, Dims), inputs[0], Dims, KeepDim);

    internal AmaxDefinition(string name, int[]? dims, bool keepDim)
        : base(name, "y = max x over the dims; ∂L/∂xᵢ = g/k for each of the k elements equal to y, else 0", dims, keepDim)
    {
    }

    /// <summary>ONNX ReduceMax over the dims.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAsReduction(onnx, "ReduceMax");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("max", x => x[0].Max(), OpRegistry.In([3, 4])),
        new("amax_dims", x => x[0].Amax([0, 2]), OpRegistry.In([2, 3, 4])),
        new("amax_dim_keepdim", x => x[0].Amax(-1, keepDim: true), OpRegistry.In([3, 4])),
    ];
}

/// <summary>
/// The definition of <see cref="ReductionOps.extension(Tensor).Amin(int[], bool)"/> and of the whole-tensor
/// <see cref="ReductionOps.extension(Tensor).Min()"/> (named <c>min</c>, <see cref="DimsReductionDefinition.Dims"/> null).
/// </summary>
public sealed class AminDefinition : DimsReductionDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        ReductionOps.ReduceTangent(tangents[0]!, ReductionOps.TieShares(inputs[0], output, Dims), inputs[0], Dims, KeepDim);

    internal AminDefinition(string name, int[]? dims, bool keepDim)
        : base(name, "y = min x over the dims; ∂L/∂xᵢ = g/k for each of the k elements equal to y, else 0", dims, keepDim)
    {
    }

    /// <summary>ONNX ReduceMin over the dims.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAsReduction(onnx, "ReduceMin");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("min", x => x[0].Min(), OpRegistry.In([3, 4])),
        new("amin_dim", x => x[0].Amin(1), OpRegistry.In([2, 3, 4])),
    ];
}

/// <summary>The definition of <see cref="ReductionOps.extension(Tensor).LogSumExp(int[], bool)"/> with its dims.</summary>
public sealed class LogSumExpDefinition : DimsReductionDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        ReductionOps.ReduceTangent(tangents[0]!, ReductionOps.SoftmaxOver(inputs[0], output, Dims), inputs[0], Dims, KeepDim);

    internal LogSumExpDefinition(int[] dims, bool keepDim)
        : base("logsumexp", "y = log Σᵢ e^xᵢ = m + log Σᵢ e^(xᵢ − m), m = max x; ∂y/∂xᵢ = e^(xᵢ − y) = softmax(x)ᵢ", dims, keepDim)
    {
    }

    /// <summary>ONNX ReduceLogSumExp over the dims.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAsReduction(onnx, "ReduceLogSumExp");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("logsumexp", x => x[0].LogSumExp(1), OpRegistry.In([3, 4])),
        new("logsumexp_dims_keepdim", x => x[0].LogSumExp([0, -1], keepDim: true), OpRegistry.In([2, 3, 4], -30, 30)),
    ];
}

/// <summary>
/// The definition of <see cref="ReductionOps.extension(Tensor).Var(int[], bool, bool, double?)"/> (named
/// <c>var</c>) and <see cref="ReductionOps.extension(Tensor).Std(int[], bool, bool, double?)"/> (named <c>std</c>)
/// with the dims and the correction.
/// </summary>
public sealed class VarDefinition : DimsReductionDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        ReductionOps.MomentTangent(tangents[0]!, inputs[0], output, Dims, Correction, KeepDim, IsStd);

    internal VarDefinition(string name, int[]? dims, double correction, bool keepDim)
        : base(
            name,
            name == "std"
                ? "s = √(Σ(xᵢ − x̄)²/(N − c)); ∂s/∂xᵢ = (xᵢ − x̄)/((N − c)·s), 0 where s = 0"
                : "v = Σ(xᵢ − x̄)²/(N − c); ∂v/∂xᵢ = 2(xᵢ − x̄)/(N − c)",
            dims,
            keepDim)
    {
        Correction = correction;
    }

    /// <summary>c in N − c: 1 for the unbiased estimate (PyTorch's <c>unbiased=True</c>, <c>correction=1</c>), 0 for the biased one.</summary>
    public double Correction { get; }

    /// <summary>Whether this is the standard deviation (<c>std</c>) rather than the variance.</summary>
    public bool IsStd => Name == "std";

    /// <inheritdoc/>
    protected override string FormatAttributes()
    {
        string dims = base.FormatAttributes();
        return (dims.Length == 0 ? string.Empty : dims + ", ") + $"correction: {FormatNumber(Correction)}";
    }

    /// <summary>
    /// ONNX ReduceMean, Sub, Mul, ReduceSum and Div by the constant N − c (then Sqrt for std): the
    /// two-pass formula, with N from the traced shape.
    /// </summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        int[] shape = onnx.InputShape(0);
        long[]? axes = Axes(shape.Length);
        long n = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            n *= axes is null || axes.Contains(d) ? shape[d] : 1;
        }

        string x = onnx.Input(0);
        string mean = Reduce(onnx, "ReduceMean", x, axes, keepDims: true);
        string centered = onnx.Node("Sub", [x, mean]);
        string squares = Reduce(onnx, "ReduceSum", onnx.Node("Mul", [centered, centered]), axes, KeepDim, axesInputFrom: 13);
        string variance = onnx.Node("Div", [squares, onnx.Constant([(float)Math.Max(0, n - Correction)], [])]);
        return IsStd ? onnx.Node("Sqrt", [variance]) : variance;
    }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("var", x => x[0].Var(), OpRegistry.In([3, 4])),
        new("var_dim_biased", x => x[0].Var(1, unbiased: false), OpRegistry.In([2, 3, 4])),
        new("std", x => x[0].Std([0, 2], keepDim: true), OpRegistry.In([2, 3, 4])),
        new("std_correction", x => x[0].Std(-1, correction: 2), OpRegistry.In([3, 5])),
    ];
}
