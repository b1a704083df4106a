using System.Globalization;

namespace Backprop.NN;

/// <summary>
/// A multilayer perceptron written as a line of text, so a model file can say how to rebuild
/// itself: <c>784-256-128-10:relu</c> is Linear(784, 256), ReLU, Linear(256, 128), ReLU,
/// Linear(128, 10); an optional <c>:bn</c> adds BatchNorm1d between every hidden Linear and its
/// activation, and <c>:dropout=0.2</c> adds Dropout after every hidden activation.
/// <c>cnn</c> names a convolutional network instead (ModelSpec.Cnn.cs).
/// </summary>
/// <param name="Sizes">Layer widths, input first, number of classes last (at least two).</param>
/// <param name="Activation">The hidden activation: relu, leaky_relu, tanh, sigmoid or gelu.</param>
/// <param name="Dropout">Dropout probability after each hidden activation (0 for none).</param>
/// <param name="BatchNorm">Batch normalization after each hidden Linear (an MLP) or convolution (<c>cnn-bn</c>).</param>
public sealed partial record ModelSpec(int[] Sizes, string Activation = "relu", double Dropout = 0, bool BatchNorm = false)
{
    private static readonly string[] s_activations = ["relu", "leaky_relu", "tanh", "sigmoid", "gelu"];

    /// <summary>Number of input features.</summary>
    public int InFeatures => Sizes[0];

    /// <summary>Number of outputs (classes).</summary>
    public int OutFeatures => Sizes[^1];

    /// <summary>
    /// Parses a spec. <paramref name="text"/> is <c>mlp</c> (the default recipe:
    /// in-512-256-out, batch norm, ReLU, dropout 0.2, needing <paramref name="inFeatures"/> and
    /// <paramref name="classes"/>), <c>N0-N1-...-Nk[:activation][:bn][:dropout=P]</c>, or a
    /// convolutional network: <c>cnn</c>, <c>cnn-bn:IN-CLASSES</c> or <c>cnn:IN-CLASSES</c>.
    /// </summary>
    /// <param name="text">The spec: <c>mlp</c>, <c>cnn</c>, or sizes joined by <c>-</c> with optional <c>:activation</c>, <c>:bn</c> and <c>:dropout=P</c>.</param>
    /// <param name="inFeatures">The input size, needed by <c>mlp</c>; null otherwise.</param>
    /// <param name="classes">The output size, needed by <c>mlp</c>; null otherwise.</param>
    /// <returns>The parsed spec, with its sizes from input to output.</returns>
    public static ModelSpec Parse(string text, int? inFeatures = null, int? classes = null)
    {
        text = text.Trim();
        if (IsCnnText(text))
        {
            return ParseCnn(text, inFeatures, classes);
        }

        if (text == "mlp")
        {
            if (inFeatures is not int i || classes is not int c)
            {
                throw new ArgumentException("model 'mlp' needs the data's feature and class counts");
            }

            return new ModelSpec([i, 512, 256, c], "relu", 0.2, BatchNorm: true);
        }

        var parts = text.Split(':');
        var sizes = new List<int>();
        foreach (var s in parts[0].Split('-'))
        {
            if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n <= 0)
            {
                throw new ArgumentException($"model spec '{text}': '{s}' is not a positive layer width (expected e.g. 784-256-128-10:relu)");
            }

            sizes.Add(n);
        }

        if (sizes.Count < 2)
        {
            throw new ArgumentException($"model spec '{text}': needs at least an input and an output width, e.g. 64-10");
        }

        string activation = "relu";
        double dropout = 0;
        bool batchNorm = false;
        foreach (var option in parts.Skip(1))
        {
            if (option == "bn")
            {
                batchNorm = true;
            }
            else if (option.StartsWith("dropout=", StringComparison.Ordinal))
            {
                if (!double.TryParse(option["dropout=".Length..], NumberStyles.Float, CultureInfo.InvariantCulture, out dropout) || dropout is < 0 or >= 1)
                {
                    throw new ArgumentException($"model spec '{text}': dropout must be a number in [0, 1), got '{option["dropout=".Length..]}'");
                }
            }
            else if (s_activations.Contains(option))
            {
                activation = option;
            }
            else
            {
                throw new ArgumentException($"model spec '{text}': unknown option '{option}' (activations: {string.Join(", ", s_activations)}; or bn, or dropout=P)");
            }
        }

        var spec = new ModelSpec([.. sizes], activation, dropout, batchNorm);
        if (inFeatures is int expectedIn && spec.InFeatures != expectedIn)
        {
            throw new ArgumentException($"model spec '{text}': input width {spec.InFeatures} does not match the data's {expectedIn} features");
        }

        if (classes is int expectedOut && spec.OutFeatures < expectedOut)
        {
            throw new ArgumentException($"model spec '{text}': output width {spec.OutFeatures} is smaller than the data's {expectedOut} classes");
        }

        return spec;
    }

    /// <summary>
    /// The number of weights and biases <see cref="Build"/> would create, computed without building
    /// anything (long.MaxValue if it overflows), so a file's claimed architecture can be checked
    /// against the weights it actually holds before any memory is allocated.
    /// </summary>
    public long NumParameters
    {
        get
        {
            try
            {
                return IsCnn ? CnnNumParameters() : checked(LinearStackParameters(Sizes) + (BatchNorm ? 2 * HiddenWidths() : 0));
            }
            catch (OverflowException)
            {
                return long.MaxValue;
            }
        }
    }

    /// <summary>
    /// The elements of the state dict <see cref="Build"/>'s network has: its parameters and its
    /// buffers (each batch norm's running mean and variance and its batch counter), which a model
    /// file holds and is checked against before anything is built.
    /// </summary>
    public long NumStateElements
    {
        get
        {
            long parameters = NumParameters;
            if (!BatchNorm || parameters == long.MaxValue)
            {
                return parameters;
            }

            try
            {
                // running_mean and running_var per channel or feature, one num_batches_tracked per layer.
                return checked(parameters + (IsCnn ? (2 * (32 + 64)) + 2 : (2 * HiddenWidths()) + Sizes.Length - 2));
            }
            catch (OverflowException)
            {
                return long.MaxValue;
            }
        }
    }

    /// <summary>The sum of the hidden layers' widths (each batch-normalized in an MLP with <c>:bn</c>).</summary>
    private long HiddenWidths()
    {
        long total = 0;
        for (int i = 1; i + 1 < Sizes.Length; i++)
        {
            total = checked(total + Sizes[i]);
        }

        return total;
    }

    /// <summary>Σ (inᵢ·outᵢ + outᵢ) over consecutive widths: the weights and biases of a stack of Linear layers.</summary>
    private static long LinearStackParameters(ReadOnlySpan<int> sizes)
    {
        long total = 0;
        for (int i = 0; i + 1 < sizes.Length; i++)
        {
            total = checked(total + ((long)sizes[i] * sizes[i + 1]) + sizes[i + 1]);
        }

        return total;
    }

    /// <summary>Builds the network; weights are drawn from <paramref name="init"/>, dropout masks from <paramref name="dropout"/>.</summary>
    /// <param name="init">The random source of the weights, or null for <see cref="Generator.Default"/>.</param>
    /// <param name="dropout">The random source of the dropout masks, or null for <see cref="Generator.Default"/>.</param>
    /// <returns>A new, freshly initialized <see cref="Sequential"/> in training mode.</returns>
    public Sequential Build(Generator? init = null, Generator? dropout = null)
    {
        if (IsCnn)
        {
            return BuildCnn(init, dropout);
        }

        var model = new Sequential();
        for (int i = 0; i + 1 < Sizes.Length; i++)
        {
            model.Add(new Linear(Sizes[i], Sizes[i + 1], generator: init));
            if (i + 2 < Sizes.Length)
            {
                if (BatchNorm)
                {
                    model.Add(new BatchNorm1d(Sizes[i + 1]));
                }

                model.Add(Activation switch
                {
                    "leaky_relu" => new LeakyReLU(),
                    "tanh" => new Tanh(),
                    "sigmoid" => new Sigmoid(),
                    "gelu" => new GELU(),
                    _ => new ReLU(),
                });
                if (Dropout > 0)
                {
                    model.Add(new Dropout(Dropout, dropout));
                }
            }
        }

        return model;
    }

    /// <summary>The canonical text, which <see cref="Parse"/> reads back to an equal spec.</summary>
    /// <returns>The spec as text, e.g. <c>784-128-10:relu</c> or <c>784-512-256-10:relu:bn:dropout=0.2</c>.</returns>
    public override string ToString() => IsCnn ? CnnText :
        string.Join("-", Sizes) + ":" + Activation + (BatchNorm ? ":bn" : "") + (Dropout > 0 ? ":dropout=" + Dropout.ToString(CultureInfo.InvariantCulture) : "");
}
