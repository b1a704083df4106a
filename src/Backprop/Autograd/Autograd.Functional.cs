namespace Backprop;

public static partial class Autograd
{
    /// <summary>
    /// Derivatives of whole functions (<c>torch.autograd.functional</c>): Jacobians, Hessians and the
    /// products of a vector with them, built on reverse mode and, for the Hessian and the Jacobian-vector
    /// product, on the backward pass differentiated again (<see cref="Grad(Tensor, IReadOnlyList{Tensor}, Tensor?, bool, BackwardVersion, bool)"/>
    /// with <c>createGraph: true</c>). Each function is given the point as a fresh leaf that requires grad
    /// (the caller's tensor is neither changed nor recorded into), and every op it applies must support
    /// the derivative asked for (second-order ones: <see cref="OpDefinition.SupportsDoubleBackward"/>).
    /// <para>
    /// Layout: PyTorch's. The Jacobian of y = f(x) has shape <c>y.Shape ++ x.Shape</c>, element
    /// [i…, j…] = ∂yᵢ/∂xⱼ. For a vector y (m) and a vector x (n) that is the m × n matrix of the
    /// numerator layout; for a scalar by a matrix X (p × q) it is p × q, the transpose of the numerator
    /// layout's q × p (and the shape of the gradient, as in the denominator layout). The Hessian of a
    /// scalar f has shape <c>x.Shape ++ x.Shape</c> and is symmetric.
    /// </para>
    /// </summary>
    public static class Functional
    {
        /// <summary>
        /// The Jacobian of <paramref name="function"/> at <paramref name="input"/>
        /// (<c>torch.autograd.functional.jacobian</c>): one backward pass per output element.
        /// </summary>
        /// <param name="function">The function differentiated; it maps one tensor to one tensor.</param>
        /// <param name="input">The point, a float tensor.</param>
        /// <param name="createGraph">Record the computation so the Jacobian can be differentiated again (reverse mode only).</param>
        /// <param name="mode">Reverse (default): one backward pass per output element; forward: one forward pass with tangents per input element (PyTorch's <c>strategy</c>), cheaper when the input is the smaller.</param>
        /// <returns>∂f/∂x of shape <c>f(x).Shape ++ x.Shape</c>, element [i…, j…] = ∂fᵢ/∂xⱼ; zeros where f does not depend on x.</returns>
        public static Tensor Jacobian(Func<Tensor, Tensor> function, Tensor input, bool createGraph = false, DifferentiationMode mode = DifferentiationMode.Reverse)
        {
            ArgumentNullException.ThrowIfNull(function);
            return Jacobian(x => function(x[0]), [input], createGraph, mode)[0];
        }

        /// <summary>
        /// The Jacobians of <paramref name="function"/> with respect to each of its inputs
        /// (<c>torch.autograd.functional.jacobian</c> with a tuple of inputs).
        /// </summary>
        /// <param name="function">The function differentiated; it maps the inputs to one tensor.</param>
        /// <param name="inputs">The point, float tensors.</param>
        /// <param name="createGraph">Record the computation so the Jacobians can be differentiated again (reverse mode only).</param>
        /// <param name="mode">Reverse (default): one backward pass per output element; forward: one forward pass with tangents per input element.</param>
        /// <returns>One Jacobian per input, of shape <c>f(inputs).Shape ++ inputs[k].Shape</c>.</returns>
        public static Tensor[] Jacobian(Func<Tensor[], Tensor> function, Tensor[] inputs, bool createGraph = false, DifferentiationMode mode = DifferentiationMode.Reverse)
        {
            ArgumentNullException.ThrowIfNull(function);
            if (mode == DifferentiationMode.Forward)
            {
                RefuseCreateGraph("Jacobian", createGraph);
                return ForwardJacobian(function, inputs);
            }

            var leaves = Leaves("Jacobian", inputs);
            using (EnableGrad())
            {
                var output = function(leaves) ?? throw new InvalidOperationException("Jacobian: the function returned null");
                return JacobianOf(output, leaves, createGraph);
            }
        }

        /// <summary>
        /// The Hessian of a scalar <paramref name="function"/> at <paramref name="input"/>
        /// (<c>torch.autograd.functional.hessian</c>): the Jacobian of its gradient, one backward pass of
        /// the recorded backward pass per element of <paramref name="input"/>.
        /// </summary>
        /// <param name="function">The function differentiated twice; it maps one tensor to a scalar (one element).</param>
        /// <param name="input">The point, a float tensor.</param>
        /// <param name="createGraph">Record the computation so the Hessian can be differentiated again.</param>
        /// <returns>∂²f/∂x² of shape <c>x.Shape ++ x.Shape</c>, element [i…, j…] = ∂²f/∂xᵢ∂xⱼ.</returns>
        /// <exception cref="ArgumentException">The function's output is not a scalar.</exception>
        public static Tensor Hessian(Func<Tensor, Tensor> function, Tensor input, bool createGraph = false)
        {
            ArgumentNullException.ThrowIfNull(function);
            return Jacobian(x => GradientOf("Hessian", function, x), input, createGraph);
        }

        /// <summary>
        /// The vector-Jacobian product vᵀ·∂f/∂x and f(x) (<c>torch.autograd.functional.vjp</c>): one backward pass.
        /// </summary>
        /// <param name="function">The function differentiated.</param>
        /// <param name="input">The point, a float tensor.</param>
        /// <param name="v">The vector, of f(x)'s shape; null for a scalar f (then v = 1 and the result is the gradient).</param>
        /// <param name="createGraph">Record the computation so the product can be differentiated again.</param>
        /// <returns>f(x), and vᵀ·∂f/∂x of x's shape (zeros where f does not depend on x).</returns>
        public static (Tensor Output, Tensor Vjp) Vjp(Func<Tensor, Tensor> function, Tensor input, Tensor? v = null, bool createGraph = false)
        {
            ArgumentNullException.ThrowIfNull(function);
            var x = Leaves("Vjp", [input])[0];
            using (EnableGrad())
            {
                var output = function(x);
                var product = output.RequiresGrad
                    ? Grad(output, [x], v, createGraph: createGraph)[0]
                    : null;
                return (Result(output, createGraph), Result(product ?? Tensor.Zeros(x._shape, x.DType), createGraph));
            }
        }

        /// <summary>
        /// The Jacobian-vector product ∂f/∂x·v and f(x) (<c>torch.autograd.functional.jvp</c>, <c>torch.func.jvp</c>).
        /// Forward mode (the default): one forward pass with v as x's tangent (<see cref="ForwardAD"/>); every
        /// op must have a forward derivative. Reverse mode, as <c>torch.autograd.functional.jvp</c> does it:
        /// u ↦ uᵀ·∂f/∂x is linear in u, so its vector-Jacobian product with v is (∂f/∂x·v)ᵀ; every op must have
        /// a differentiable backward.
        /// </summary>
        /// <param name="function">The function differentiated.</param>
        /// <param name="input">The point, a float tensor.</param>
        /// <param name="v">The direction, of x's shape.</param>
        /// <param name="createGraph">Record the computation so the product can be differentiated again (reverse mode only).</param>
        /// <param name="mode">Forward (default): one pass with tangents; reverse: two backward passes.</param>
        /// <returns>f(x), and ∂f/∂x·v of f(x)'s shape: the directional derivative of f along v.</returns>
        public static (Tensor Output, Tensor Jvp) Jvp(Func<Tensor, Tensor> function, Tensor input, Tensor v, bool createGraph = false, DifferentiationMode mode = DifferentiationMode.Forward)
        {
            ArgumentNullException.ThrowIfNull(function);
            ArgumentNullException.ThrowIfNull(v);
            if (mode == DifferentiationMode.Forward)
            {
                RefuseCreateGraph("Jvp", createGraph);
                var primal = Leaves("Jvp", [input])[0].Detach();
                RequireShape("Jvp", "v", v, primal);
                var (output, tangent) = ForwardPass(x => function(x[0]), [primal], 0, v);
                return (output, tangent);
            }

            var x = Leaves("Jvp", [input])[0];
            RequireShape("Jvp", "v", v, x);
            using (EnableGrad())
            {
                var output = function(x);
                if (!output.RequiresGrad)
                {
                    return (Result(output, createGraph), Tensor.Zeros(output._shape, output.DType));
                }

                var u = Tensor.Zeros(output._shape, output.DType).RequiresGrad_();
                var vjp = Grad(output, [x], u, createGraph: true)[0];
                var product = vjp is { RequiresGrad: true } ? Grad(vjp, [u], v, createGraph: createGraph)[0] : null;
                return (Result(output, createGraph), Result(product ?? Tensor.Zeros(output._shape, output.DType), createGraph));
            }
        }

        /// <summary>
        /// The Hessian-vector product H·v of a scalar function and f(x) (<c>torch.autograd.functional.hvp</c>):
        /// the gradient of ⟨∇f(x), v⟩, two backward passes and no Hessian built.
        /// </summary>
        /// <param name="function">The function differentiated twice; it maps one tensor to a scalar.</param>
        /// <param name="input">The point, a float tensor.</param>
        /// <param name="v">The vector, of x's shape.</param>
        /// <param name="createGraph">Record the computation so the product can be differentiated again.</param>
        /// <returns>f(x), and H·v of x's shape.</returns>
        public static (Tensor Output, Tensor Hvp) Hvp(Func<Tensor, Tensor> function, Tensor input, Tensor v, bool createGraph = false)
        {
            ArgumentNullException.ThrowIfNull(function);
            ArgumentNullException.ThrowIfNull(v);
            var x = Leaves("Hvp", [input])[0];
            RequireShape("Hvp", "v", v, x);
            using (EnableGrad())
            {
                var output = RequireScalar("Hvp", function(x));
                var gradient = output.RequiresGrad ? Grad(output, [x], createGraph: true)[0] : null;
                var product = gradient is { RequiresGrad: true } ? Grad(gradient, [x], v, createGraph: createGraph)[0] : null;
                return (Result(output, createGraph), Result(product ?? Tensor.Zeros(x._shape, x.DType), createGraph));
            }
        }

        /// <summary>
        /// The vector-Hessian product vᵀ·H of a scalar function and f(x) (<c>torch.autograd.functional.vhp</c>);
        /// the Hessian is symmetric, so it equals <see cref="Hvp"/>'s H·v.
        /// </summary>
        /// <param name="function">The function differentiated twice; it maps one tensor to a scalar.</param>
        /// <param name="input">The point, a float tensor.</param>
        /// <param name="v">The vector, of x's shape.</param>
        /// <param name="createGraph">Record the computation so the product can be differentiated again.</param>
        /// <returns>f(x), and vᵀ·H of x's shape.</returns>
        public static (Tensor Output, Tensor Vhp) Vhp(Func<Tensor, Tensor> function, Tensor input, Tensor v, bool createGraph = false)
        {
            var (output, product) = Hvp(function, input, v, createGraph);
            return (output, product);
        }

        /// <summary>The Jacobians of <paramref name="output"/> with respect to <paramref name="leaves"/>, one backward pass per output element.</summary>
        private static Tensor[] JacobianOf(Tensor output, Tensor[] leaves, bool createGraph)
        {
            int m = output.Numel;
            var rows = leaves.Select(_ => new Tensor[m]).ToArray();
            for (int j = 0; j < m; j++)
            {
                Tensor?[] grads = new Tensor?[leaves.Length];
                if (output.RequiresGrad)
                {
                    var seed = Tensor.Zeros(output._shape, output.DType);
                    seed.SetDouble(j, 1.0);
                    grads = Grad(output, leaves, seed, retainGraph: true, createGraph: createGraph);
                }

                for (int k = 0; k < leaves.Length; k++)
                {
                    rows[k][j] = grads[k] ?? Tensor.Zeros(leaves[k]._shape, leaves[k].DType);
                }
            }

            var jacobians = new Tensor[leaves.Length];
            for (int k = 0; k < leaves.Length; k++)
            {
                int[] shape = [.. output._shape, .. leaves[k]._shape];
                jacobians[k] = m == 0 ? Tensor.Zeros(shape, leaves[k].DType) : Result(Tensor.Stack(rows[k]).Reshape(shape), createGraph);
            }

            return jacobians;
        }

        /// <summary>The Jacobians by forward mode: one pass per element of each input, that element's tangent 1 and every other 0.</summary>
        private static Tensor[] ForwardJacobian(Func<Tensor[], Tensor> function, Tensor[] inputs)
        {
            var primals = Leaves("Jacobian", inputs).Select(t => t.Detach()).ToArray();
            var jacobians = new Tensor[primals.Length];
            for (int k = 0; k < primals.Length; k++)
            {
                int n = primals[k].Numel;
                var columns = new Tensor[n];
                Tensor? output = null;
                for (int j = 0; j < n; j++)
                {
                    var direction = Tensor.Zeros(primals[k]._shape, primals[k].DType);
                    direction.SetDouble(j, 1.0);
                    (output, columns[j]) = ForwardPass(function, primals, k, direction);
                }

                output ??= function(primals);
                int[] shape = [.. output._shape, .. primals[k]._shape];
                jacobians[k] = n == 0 ? Tensor.Zeros(shape, primals[k].DType) : Tensor.Stack(columns, output.Rank).Reshape(shape);
            }

            return jacobians;
        }

        /// <summary>One forward pass with <paramref name="direction"/> as the tangent of input <paramref name="k"/>: the output and its tangent (zeros when it carries none).</summary>
        private static (Tensor Output, Tensor Tangent) ForwardPass(Func<Tensor[], Tensor> function, Tensor[] primals, int k, Tensor direction)
        {
            using var noGrad = NoGrad();
            using var level = ForwardAD.DualLevel();
            var duals = (Tensor[])primals.Clone();
            duals[k] = ForwardAD.MakeDual(primals[k], direction);
            var output = function(duals) ?? throw new InvalidOperationException("the function returned null");
            var (primal, tangent) = ForwardAD.UnpackDual(output);
            return (primal.Detach(), tangent ?? Tensor.Zeros(primal._shape, primal.DType));
        }

        private static void RefuseCreateGraph(string op, bool createGraph)
        {
            if (createGraph)
            {
                throw new ArgumentException($"{op}: createGraph is supported in reverse mode only; pass mode: DifferentiationMode.Reverse", nameof(createGraph));
            }
        }

        /// <summary>∇f at <paramref name="x"/> with the backward pass recorded (zeros where f does not depend on x).</summary>
        private static Tensor GradientOf(string op, Func<Tensor, Tensor> function, Tensor x)
        {
            var output = RequireScalar(op, function(x));
            var gradient = output.RequiresGrad ? Grad(output, [x], createGraph: true)[0] : null;
            return gradient ?? Tensor.Zeros(x._shape, x.DType);
        }

        /// <summary>Fresh leaves sharing the inputs' storage that require grad, so the function's graph starts at them.</summary>
        private static Tensor[] Leaves(string op, Tensor[] inputs)
        {
            ArgumentNullException.ThrowIfNull(inputs);
            if (inputs.Length == 0)
            {
                throw new ArgumentException($"{op}: no inputs given", nameof(inputs));
            }

            var leaves = new Tensor[inputs.Length];
            for (int k = 0; k < inputs.Length; k++)
            {
                var input = inputs[k] ?? throw new ArgumentNullException(nameof(inputs), $"{op}: input {k} is null");
                if (!input.DType.IsFloatingPoint())
                {
                    throw new ArgumentException($"{op}: input {k} is {input.DType.Name()}; derivatives need a float32 or float64 tensor", nameof(inputs));
                }

                leaves[k] = input.Detach().RequiresGrad_();
            }

            return leaves;
        }

        private static Tensor RequireScalar(string op, Tensor output) =>
            output.Numel == 1
                ? output
                : throw new ArgumentException($"{op}: the function must return a scalar (one element), got shape {Shapes.Format(output._shape)}");

        private static void RequireShape(string op, string name, Tensor v, Tensor x)
        {
            if (!v._shape.AsSpan().SequenceEqual(x._shape) || v.DType != x.DType)
            {
                throw new ArgumentException($"{op}: {name} must have the input's shape {Shapes.Format(x._shape)} and dtype {x.DType.Name()}, got {Shapes.Format(v._shape)} {v.DType.Name()}", name);
            }
        }

        /// <summary>The result as computed (recorded) when the graph is wanted, else cut from it.</summary>
        private static Tensor Result(Tensor t, bool createGraph) => createGraph ? t : t.Detach();
    }
}
