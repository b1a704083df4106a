using System.Globalization;
using System.Text;
using Backprop.NN;
using Backprop.Serialization;

namespace Backprop.Diagnostics;

/// <summary>
/// One layer's gradient health over one epoch (one row of <c>gradients.csv</c>).
/// </summary>
/// <param name="Epoch">The epoch number, counted from 1.</param>
/// <param name="Layer">The Linear layer's index among the model's Linear layers, from the input side.</param>
/// <param name="Name">The layer's module name (<c>0</c>, <c>2</c>, … in a Sequential).</param>
/// <param name="Activation">The activation applied to the layer's output (sigmoid, tanh, relu), or "none".</param>
/// <param name="GradNorm">Mean over the epoch's batches of ‖∂L/∂W‖₂, the Frobenius norm of the weight's gradient.</param>
/// <param name="SaturatedFraction">Mean fraction of saturated outputs: sigmoid outside [0.01, 0.99], |tanh| &gt; 0.99 (NaN for other activations).</param>
/// <param name="DeadFraction">Mean fraction of dead ReLU units: output ≤ 0 for every sample of the batch (NaN for other activations).</param>
/// <param name="Batches">How many batches were averaged.</param>
public sealed record LayerGradientHealth(int Epoch, int Layer, string Name, string Activation, double GradNorm, double SaturatedFraction, double DeadFraction, int Batches);

/// <summary>
/// Records, per Linear layer and per epoch, how well gradients flow (docs/design.md §1.7): the norm of
/// the weight gradient, the fraction of saturated sigmoid/tanh outputs (where σ' or tanh' is nearly
/// 0) and of dead ReLU units (which pass no gradient at all). A stack of sigmoid layers shows the
/// gradient norm shrinking layer by layer towards the input, since σ'(x) ≤ 0.25.
/// </summary>
/// <example>
/// <code>
/// var health = new GradientHealth(model);
/// var loss = F.CrossEntropy(model.Forward(x), y);
/// health.ObserveForward(loss);   // before Backward: the activations are read from the graph
/// loss.Backward();
/// health.ObserveBackward(epoch); // after Backward: the weight gradients
/// </code>
/// </example>
public sealed class GradientHealth
{
    /// <summary>The header of <see cref="ToCsv"/>.</summary>
    public const string CsvHeader = "epoch,layer,name,activation,grad_norm,saturated,dead_relu";

    private readonly List<(string Name, Linear Layer)> _layers;
    private readonly Dictionary<Tensor, int> _layerOfWeight = new(ReferenceEqualityComparer.Instance);
    private readonly SortedDictionary<int, Accumulator[]> _epochs = [];
    private (string Activation, double Saturated, double Dead)?[] _pending;

    /// <summary>Watches every <see cref="Linear"/> layer of <paramref name="model"/>.</summary>
    /// <param name="model">The model watched, with at least one Linear layer.</param>
    /// <exception cref="ArgumentException">The model has no Linear layer.</exception>
    public GradientHealth(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _layers = [.. model.NamedModules().Where(m => m.Module is Linear).Select(m => (m.Name == "" ? "linear" : m.Name, (Linear)m.Module))];
        if (_layers.Count == 0)
        {
            throw new ArgumentException("GradientHealth: the model has no Linear layer to watch");
        }

        _pending = new (string, double, double)?[_layers.Count];
    }

    /// <summary>The watched layers' names, from the input side.</summary>
    public IReadOnlyList<string> LayerNames => [.. _layers.Select(l => l.Name)];

    /// <summary>
    /// Reads the activations of this batch from the graph of <paramref name="loss"/>: call it after
    /// the forward pass and before <c>loss.Backward()</c>, which frees the graph. An activation is
    /// attributed to the Linear layer whose output it was applied to.
    /// </summary>
    /// <param name="loss">This batch's loss, its graph not yet freed by a backward pass.</param>
    public void ObserveForward(Tensor loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        RefreshWeights();
        Array.Clear(_pending);
        if (!loss.RequiresGrad)
        {
            return;
        }

        foreach (var t in Autograd.TopologicalOrder(loss))
        {
            if (t.GradFn is { Op: SigmoidDefinition or TanhDefinition or ReluDefinition } node && LayerFeeding(node.Inputs[0]) is int layer)
            {
                var values = t.ToArray<double>();
                _pending[layer] = node.Op switch
                {
                    SigmoidDefinition => ("sigmoid", Fraction(values, v => v < 0.01 || v > 0.99), double.NaN),
                    TanhDefinition => ("tanh", Fraction(values, v => Math.Abs(v) > 0.99), double.NaN),
                    _ => ("relu", double.NaN, DeadUnits(values, t.Rank == 0 ? 1 : t.Size(-1))),
                };
            }
        }
    }

    /// <summary>
    /// Records this batch for <paramref name="epoch"/>: the weight-gradient norms (call after
    /// <c>loss.Backward()</c>, before the gradients are zeroed) and the activations read by
    /// <see cref="ObserveForward"/>.
    /// </summary>
    /// <param name="epoch">The epoch the batch belongs to, from 1.</param>
    public void ObserveBackward(int epoch)
    {
        if (!_epochs.TryGetValue(epoch, out var accumulators))
        {
            accumulators = [.. _layers.Select(_ => new Accumulator())];
            _epochs[epoch] = accumulators;
        }

        for (int i = 0; i < _layers.Count; i++)
        {
            var a = accumulators[i];
            if (_layers[i].Layer.Weight.Grad is { } grad)
            {
                var g = grad.ToArray<double>();
                a.GradNorm += Math.Sqrt(g.Sum(v => v * v));
                a.Batches++;
            }

            if (_pending[i] is var (activation, saturated, dead))
            {
                a.Activation = activation;
                a.Saturated += double.IsNaN(saturated) ? 0 : saturated;
                a.Dead += double.IsNaN(dead) ? 0 : dead;
                a.ActivationBatches++;
            }
        }

        Array.Clear(_pending);
    }

    /// <summary>Per epoch (ascending), per layer (input side first), the means over the recorded batches.</summary>
    public IReadOnlyList<LayerGradientHealth> Records
    {
        get
        {
            var records = new List<LayerGradientHealth>();
            foreach (var (epoch, accumulators) in _epochs)
            {
                for (int i = 0; i < accumulators.Length; i++)
                {
                    var a = accumulators[i];
                    double Mean(double sum, bool applies) => applies && a.ActivationBatches > 0 ? sum / a.ActivationBatches : double.NaN;
                    records.Add(new LayerGradientHealth(
                        epoch,
                        i,
                        _layers[i].Name,
                        a.Activation,
                        a.Batches > 0 ? a.GradNorm / a.Batches : double.NaN,
                        Mean(a.Saturated, a.Activation is "sigmoid" or "tanh"),
                        Mean(a.Dead, a.Activation == "relu"),
                        a.Batches));
                }
            }

            return records;
        }
    }

    /// <summary>
    /// One forward-to-backward measurement: observes <paramref name="loss"/>, calls
    /// <c>loss.Backward()</c>, and returns one record per layer (epoch 1).
    /// </summary>
    /// <param name="model">The model watched, with at least one Linear layer.</param>
    /// <param name="loss">The loss of a forward pass through it, its graph not yet freed.</param>
    /// <returns>One record per watched layer, in model order, for epoch 1.</returns>
    public static IReadOnlyList<LayerGradientHealth> Measure(Module model, Tensor loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        var health = new GradientHealth(model);
        health.ObserveForward(loss);
        loss.Backward();
        health.ObserveBackward(1);
        return health.Records;
    }

    /// <summary>The records as CSV: <see cref="CsvHeader"/>, then one line per record; a metric that does not apply is empty.</summary>
    /// <returns>The CSV text.</returns>
    public string ToCsv()
    {
        var sb = new StringBuilder(CsvHeader).Append('\n');
        foreach (var r in Records)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{r.Epoch},{r.Layer},{r.Name},{r.Activation},{Format(r.GradNorm)},{Format(r.SaturatedFraction)},{Format(r.DeadFraction)}\n");
        }

        return sb.ToString();
    }

    /// <summary>Writes <see cref="ToCsv"/> to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The file written.</param>
    public void WriteCsv(string path)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(ToCsv());
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>
    /// The running sums behind <see cref="Records"/>, including those of an epoch still in progress,
    /// as text (one line per epoch and layer: epoch, layer, activation, the sums and batch counts,
    /// doubles round-trip formatted). <see cref="LoadState"/> restores them exactly, so a training
    /// run resumed from a checkpoint that stores this reports what an uninterrupted run would.
    /// </summary>
    /// <returns>The state text.</returns>
    public string SaveState()
    {
        var sb = new StringBuilder();
        foreach (var (epoch, accumulators) in _epochs)
        {
            for (int i = 0; i < accumulators.Length; i++)
            {
                var a = accumulators[i];
                sb.Append(CultureInfo.InvariantCulture, $"{epoch},{i},{a.Activation},{a.GradNorm:R},{a.Batches},{a.Saturated:R},{a.Dead:R},{a.ActivationBatches}\n");
            }
        }

        return sb.ToString();
    }

    /// <summary>Replaces the recorded sums by those of <see cref="SaveState"/>.</summary>
    /// <param name="state">Text returned by <see cref="SaveState"/> for a model with these layers.</param>
    /// <exception cref="FormatException">The text is not a state of a model with these layers; the message names the line.</exception>
    public void LoadState(string state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var epochs = new SortedDictionary<int, Accumulator[]>();
        string[] lines = state.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (string line in lines)
        {
            string[] f = line.Split(',');
            if (f.Length != 8
                || !int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out int epoch) || epoch < 1
                || !int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out int layer) || layer >= _layers.Count
                || !double.TryParse(f[3], NumberStyles.Float, CultureInfo.InvariantCulture, out double gradNorm)
                || !int.TryParse(f[4], NumberStyles.None, CultureInfo.InvariantCulture, out int batches)
                || !double.TryParse(f[5], NumberStyles.Float, CultureInfo.InvariantCulture, out double saturated)
                || !double.TryParse(f[6], NumberStyles.Float, CultureInfo.InvariantCulture, out double dead)
                || !int.TryParse(f[7], NumberStyles.None, CultureInfo.InvariantCulture, out int activationBatches))
            {
                throw new FormatException($"gradient-health state: line '{line}' is not 'epoch,layer,activation,grad_norm_sum,batches,saturated_sum,dead_sum,activation_batches' for a model with {_layers.Count} Linear layers");
            }

            if (!epochs.TryGetValue(epoch, out var accumulators))
            {
                accumulators = [.. _layers.Select(_ => new Accumulator())];
                epochs[epoch] = accumulators;
            }

            accumulators[layer] = new Accumulator
            {
                GradNorm = gradNorm,
                Batches = batches,
                Activation = f[2],
                Saturated = saturated,
                Dead = dead,
                ActivationBatches = activationBatches,
            };
        }

        _epochs.Clear();
        foreach (var (epoch, accumulators) in epochs)
        {
            _epochs[epoch] = accumulators;
        }
    }

    private static string Format(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);

    // A layer's weight tensor can be replaced (loading a state dict assigns new tensors), so the
    // weight → layer map is rebuilt from the layers each batch.
    private void RefreshWeights()
    {
        _layerOfWeight.Clear();
        for (int i = 0; i < _layers.Count; i++)
        {
            _layerOfWeight[_layers[i].Layer.Weight] = i;
        }
    }

    /// <summary>The Linear layer whose output <paramref name="preActivation"/> is, looking back through a few element-wise ops.</summary>
    private int? LayerFeeding(Tensor preActivation)
    {
        var t = preActivation;
        for (int depth = 0; depth < 4 && t.GradFn is { } node; depth++)
        {
            if (node.Op is LinearDefinition && node.Inputs.Count >= 2 && _layerOfWeight.TryGetValue(node.Inputs[1], out int layer))
            {
                return layer;
            }

            t = node.Inputs[0];
        }

        return null;
    }

    private static double Fraction(double[] values, Func<double, bool> predicate) =>
        values.Length == 0 ? double.NaN : (double)values.Count(predicate) / values.Length;

    /// <summary>The fraction of units (last dimension) whose output is ≤ 0 for every sample.</summary>
    private static double DeadUnits(double[] values, int units)
    {
        if (values.Length == 0 || units == 0)
        {
            return double.NaN;
        }

        int dead = 0;
        for (int j = 0; j < units; j++)
        {
            bool alive = false;
            for (int i = j; i < values.Length && !alive; i += units)
            {
                alive = values[i] > 0;
            }

            dead += alive ? 0 : 1;
        }

        return (double)dead / units;
    }

    private sealed class Accumulator
    {
        public double GradNorm;
        public int Batches;
        public string Activation = "none";
        public double Saturated;
        public double Dead;
        public int ActivationBatches;
    }
}
