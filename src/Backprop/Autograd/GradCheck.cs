namespace Backprop;

/// <summary>The worst element of one input's gradient check.</summary>
/// <param name="InputIndex">Which input of the function.</param>
/// <param name="OutputElement">Flat index of the output element whose derivative was worst.</param>
/// <param name="InputElement">Flat index of the input element whose derivative was worst.</param>
/// <param name="Analytic">dy/dx from the backward pass.</param>
/// <param name="Numeric">dy/dx from central differences.</param>
/// <param name="AbsError">|analytic − numeric| for that element.</param>
/// <param name="RelError">|analytic − numeric| / |numeric| for that element (abs error where numeric is 0).</param>
/// <param name="MaxAbsError">The largest |analytic − numeric| over all elements of this input.</param>
/// <param name="MaxRelError">The largest relative error over all elements of this input.</param>
/// <param name="Passed">True if every element satisfied |a − n| ≤ atol + rtol·|n|.</param>
public sealed record GradCheckInputReport(
    int InputIndex,
    int OutputElement,
    int InputElement,
    double Analytic,
    double Numeric,
    double AbsError,
    double RelError,
    double MaxAbsError,
    double MaxRelError,
    bool Passed);

/// <summary>The outcome of <see cref="GradCheck.Check(Func{Tensor[], Tensor}, Tensor[], double, double, double)"/>.</summary>
/// <param name="Inputs">One report per differentiable input.</param>
public sealed record GradCheckResult(IReadOnlyList<GradCheckInputReport> Inputs)
{
    /// <summary>True if every input passed.</summary>
    public bool Passed => Inputs.All(r => r.Passed);

    /// <summary>The largest absolute error over all inputs.</summary>
    public double MaxAbsError => Inputs.Count == 0 ? 0 : Inputs.Max(r => r.MaxAbsError);

    /// <summary>The largest relative error over all inputs.</summary>
    public double MaxRelError => Inputs.Count == 0 ? 0 : Inputs.Max(r => r.MaxRelError);

    /// <inheritdoc/>
    public override string ToString() => string.Join(
        Environment.NewLine,
        Inputs.Select(r => $"input {r.InputIndex}: {(r.Passed ? "pass" : "FAIL")}, worst d(out[{r.OutputElement}])/d(in[{r.InputElement}]) analytic {r.Analytic:G10} numeric {r.Numeric:G10} abs {r.AbsError:E2} rel {r.RelError:E2}"));
}

/// <summary>
/// Checks backward passes against central finite differences (f(x+h) − f(x−h)) / 2h, element by
/// element of the full Jacobian, as <c>torch.autograd.gradcheck</c> does (same defaults:
/// eps 1e-6, atol 1e-5, rtol 1e-3, float64).
/// </summary>
public static class GradCheck
{
    /// <summary>PyTorch's default perturbation.</summary>
    public const double DefaultEps = 1e-6;

    /// <summary>PyTorch's default absolute tolerance.</summary>
    public const double DefaultAtol = 1e-5;

    /// <summary>PyTorch's default relative tolerance.</summary>
    public const double DefaultRtol = 1e-3;

    /// <summary>Checks <paramref name="function"/> at <paramref name="inputs"/> with the default tolerances.</summary>
    /// <param name="function">The function checked: it maps the inputs to one output tensor.</param>
    /// <param name="inputs">The float64 tensors it is evaluated at; those that require grad are checked.</param>
    /// <returns>The errors of each input that requires grad, and whether each passed.</returns>
    public static GradCheckResult Check(Func<Tensor[], Tensor> function, params Tensor[] inputs) =>
        Check(function, inputs, DefaultEps, DefaultAtol, DefaultRtol);

    /// <summary>
    /// Compares the analytic Jacobian (one backward pass per output element) with the numeric one
    /// (two forward passes per input element) for every input with <see cref="Tensor.RequiresGrad"/>.
    /// Inputs must be float64 leaves; the function must be deterministic.
    /// </summary>
    /// <param name="function">The function checked: it maps the inputs to one output tensor.</param>
    /// <param name="inputs">The float64 tensors it is evaluated at; those that require grad are checked.</param>
    /// <param name="eps">The perturbation h of the central differences.</param>
    /// <param name="atol">The absolute tolerance.</param>
    /// <param name="rtol">The relative tolerance: an element passes when |analytic − numeric| ≤ atol + rtol·|numeric|.</param>
    /// <returns>The errors of each input that requires grad, and whether each passed.</returns>
    public static GradCheckResult Check(Func<Tensor[], Tensor> function, Tensor[] inputs, double eps, double atol, double rtol)
    {
        var differentiable = inputs.Where(t => t.RequiresGrad).ToArray();
        foreach (var t in differentiable)
        {
            if (t.DType != DType.Float64)
            {
                throw new ArgumentException($"GradCheck: inputs must be float64 for reliable finite differences, got {t.DType.Name()}");
            }
        }

        var output = function(inputs);
        int m = output.Numel;
        var analytic = differentiable.Select(t => new double[m, t.Numel]).ToArray();
        for (int j = 0; j < m && output.RequiresGrad; j++)
        {
            var seed = Tensor.Zeros(output._shape, output.DType);
            seed.SetDouble(j, 1.0);
            var grads = Autograd.Grad(output, differentiable, seed, retainGraph: true);
            for (int i = 0; i < differentiable.Length; i++)
            {
                for (int k = 0; grads[i] is { } g && k < g.Numel; k++)
                {
                    analytic[i][j, k] = g.GetDouble(k);
                }
            }
        }

        var reports = new List<GradCheckInputReport>();
        for (int i = 0; i < differentiable.Length; i++)
        {
            var x = differentiable[i].F64;
            var worst = new GradCheckInputReport(Array.IndexOf(inputs, differentiable[i]), 0, 0, 0, 0, 0, 0, 0, 0, true);
            double worstExcess = double.NegativeInfinity, maxAbs = 0, maxRel = 0;
            bool passed = true;
            for (int k = 0; k < x.Length; k++)
            {
                double saved = x[k];
                x[k] = saved + eps;
                var plus = Evaluate(function, inputs);
                x[k] = saved - eps;
                var minus = Evaluate(function, inputs);
                x[k] = saved;
                for (int j = 0; j < m; j++)
                {
                    double numeric = (plus[j] - minus[j]) / (2 * eps);
                    double a = analytic[i][j, k];
                    double abs = Math.Abs(a - numeric);
                    double rel = numeric == 0 ? abs : abs / Math.Abs(numeric);
                    double excess = abs - (atol + (rtol * Math.Abs(numeric)));
                    bool ok = excess <= 0 && double.IsFinite(a);
                    passed &= ok;
                    maxAbs = Math.Max(maxAbs, double.IsNaN(abs) ? double.PositiveInfinity : abs);
                    maxRel = Math.Max(maxRel, double.IsNaN(rel) ? double.PositiveInfinity : rel);
                    if (excess > worstExcess || double.IsNaN(excess))
                    {
                        worstExcess = double.IsNaN(excess) ? double.PositiveInfinity : excess;
                        worst = worst with { OutputElement = j, InputElement = k, Analytic = a, Numeric = numeric, AbsError = abs, RelError = rel };
                    }
                }
            }

            reports.Add(worst with { MaxAbsError = maxAbs, MaxRelError = maxRel, Passed = passed });
        }

        return new GradCheckResult(reports);
    }

    /// <summary>
    /// Checks second derivatives with the default tolerances (<c>torch.autograd.gradgradcheck</c>); see
    /// <see cref="GradGradCheck(Func{Tensor[], Tensor}, Tensor[], Tensor?, double, double, double)"/>.
    /// </summary>
    /// <param name="function">The function checked: it maps the inputs to one output tensor.</param>
    /// <param name="inputs">The float64 tensors it is evaluated at; those that require grad are checked.</param>
    /// <returns>One report per differentiable input, then one for the upstream gradient (the last input of the checked function).</returns>
    public static GradCheckResult GradGradCheck(Func<Tensor[], Tensor> function, params Tensor[] inputs) =>
        GradGradCheck(function, inputs, null, DefaultEps, DefaultAtol, DefaultRtol);

    /// <summary>
    /// Checks the backward of the backward, as <c>torch.autograd.gradgradcheck</c> does: the function
    /// (inputs, v) ↦ vᵀ·∂f/∂inputs, computed by <see cref="Autograd.Grad(Tensor, IReadOnlyList{Tensor}, Tensor?, bool, BackwardVersion, bool)"/>
    /// with <c>createGraph: true</c>, is itself gradient-checked against central differences, with
    /// respect to every differentiable input and to the upstream gradient v. Every op on the way must
    /// have a differentiable backward (<see cref="OpDefinition.SupportsDoubleBackward"/>).
    /// </summary>
    /// <param name="function">The function checked: it maps the inputs to one output tensor.</param>
    /// <param name="inputs">The float64 tensors it is evaluated at; those that require grad are checked.</param>
    /// <param name="gradOutput">The upstream gradient v (float64, the output's shape); null for standard normal values drawn with seed 0.</param>
    /// <param name="eps">The perturbation h of the central differences.</param>
    /// <param name="atol">The absolute tolerance.</param>
    /// <param name="rtol">The relative tolerance.</param>
    /// <returns>One report per differentiable input, then one for the upstream gradient (the last input of the checked function).</returns>
    /// <exception cref="NotSupportedException">An op on the way has no differentiable backward; the message names it.</exception>
    public static GradCheckResult GradGradCheck(Func<Tensor[], Tensor> function, Tensor[] inputs, Tensor? gradOutput, double eps, double atol, double rtol)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        int[] checkedInputs = [.. Enumerable.Range(0, inputs.Length).Where(i => inputs[i].RequiresGrad)];
        Tensor output;
        using (Autograd.EnableGrad())
        {
            output = function(inputs);
        }

        var v = gradOutput?.Detach() ?? Tensor.Randn(output._shape, new Generator(0), DType.Float64);
        v.RequiresGrad = true;

        // (inputs, v) ↦ the gradients of ⟨f(inputs), v⟩ with respect to the checked inputs, flattened
        // and joined into one vector, computed with the backward pass recorded.
        Tensor FirstDerivatives(Tensor[] all)
        {
            using (Autograd.EnableGrad())
            {
                var ins = all[..^1];
                var y = function(ins);
                var wrt = checkedInputs.Select(i => ins[i]).ToArray();
                var grads = y.RequiresGrad
                    ? Autograd.Grad(y, wrt, all[^1], createGraph: true)
                    : new Tensor?[wrt.Length];
                return Tensor.Cat([.. grads.Select((g, k) => (g ?? Tensor.Zeros(wrt[k]._shape, DType.Float64)).Reshape(-1))], 0);
            }
        }

        return Check(FirstDerivatives, [.. inputs, v], eps, atol, rtol);
    }

    private static double[] Evaluate(Func<Tensor[], Tensor> function, Tensor[] inputs)
    {
        using (Autograd.NoGrad())
        {
            return function(inputs).ToArray();
        }
    }
}
