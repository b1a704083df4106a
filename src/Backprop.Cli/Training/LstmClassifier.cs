using System.Globalization;
using Backprop.NN;

namespace Backprop.Cli.Training;

/// <summary>
/// The row-sequential classifier of the benchmark recipe (shared/bench/torch_fmnist.py, RowLSTM): a
/// flat square image of rows·rows pixels is read as rows time steps of rows pixels by an LSTM
/// (batch_first); the last hidden state (the output's last step) goes through a Linear layer to the class logits. State-dict
/// keys are PyTorch's for that model: <c>lstm.weight_ih_l0</c> … <c>fc.weight</c>, <c>fc.bias</c>.
/// Its spec text is <c>lstm-FEATURES-HIDDEN-CLASSES</c>; plain <c>lstm</c> means hidden size 128.
/// <c>backprop export</c> writes it to ONNX by tracing its Forward (Reshape, Transpose, one LSTM op, Gemm).
/// </summary>
internal sealed class LstmClassifier : Module
{
    public const string Alias = "lstm";
    public const int DefaultHidden = 128;

    public LstmClassifier(int features, int hidden, int classes, Generator? init = null)
    {
        Rows = SideOf(features);
        Lstm = new LSTM(Rows, hidden, batchFirst: true, generator: init);
        Fc = new Linear(hidden, classes, generator: init);
    }

    public LSTM Lstm { get; }

    public Linear Fc { get; }

    /// <summary>Time steps, which is also the pixels per step.</summary>
    public int Rows { get; }

    /// <summary>True for <c>lstm</c> and <c>lstm-…</c> spec texts.</summary>
    public static bool IsSpec(string text) => text == Alias || text.StartsWith(Alias + "-", StringComparison.Ordinal);

    /// <summary>
    /// Reads <c>lstm</c> (needing the data's feature and class counts) or <c>lstm-F-H-C</c>, checking it
    /// against the data when given; returns the canonical text and the sizes.
    /// </summary>
    public static (string Text, int Features, int Hidden, int Classes) ParseSpec(string text, int? features, int? classes)
    {
        int f, h, c;
        if (text == Alias)
        {
            if (features is not int fi || classes is not int ci)
            {
                throw new ArgumentException("model 'lstm' needs the data's feature and class counts");
            }

            (f, h, c) = (fi, DefaultHidden, ci);
        }
        else
        {
            var parts = text[(Alias.Length + 1)..].Split('-');
            var sizes = parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 0).ToArray();
            if (sizes.Length != 3 || sizes.Contains(0))
            {
                throw new ArgumentException($"model spec '{text}': expected lstm-FEATURES-HIDDEN-CLASSES with positive sizes, e.g. lstm-784-128-10");
            }

            (f, h, c) = (sizes[0], sizes[1], sizes[2]);
        }

        SideOf(f);
        if (features is int expected && f != expected)
        {
            throw new ArgumentException($"model spec '{text}': input width {f} does not match the data's {expected} features");
        }

        if (classes is int expectedClasses && c < expectedClasses)
        {
            throw new ArgumentException($"model spec '{text}': output width {c} is smaller than the data's {expectedClasses} classes");
        }

        return (string.Create(CultureInfo.InvariantCulture, $"{Alias}-{f}-{h}-{c}"), f, h, c);
    }

    /// <summary>(batch, rows·rows) pixels to (batch, classes) logits.</summary>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 2 || input.Size(1) != Rows * Rows)
        {
            throw new ArgumentException($"LstmClassifier: expected input of shape (batch x {Rows * Rows}), got ({string.Join("x", input.Shape)})");
        }

        // The last step of the (one-layer, one-direction) output is the last hidden state h_n; Call
        // (not Forward) so hooks and ModelSummary see both layers.
        var output = Lstm.Call(input.View(-1, Rows, Rows));
        return Fc.Call(output.Select(1, -1));
    }

    /// <summary>
    /// Weights and biases of the model: LSTM 4H·(in + H) + 8H and Linear C·H + C, with in = √features
    /// pixels per step (long.MaxValue if that overflows).
    /// </summary>
    public static long NumParameters(int features, int hidden, int classes)
    {
        try
        {
            long h = hidden, input = SideOf(features);
            return checked((4 * h * (input + h)) + (8 * h) + (classes * h) + classes);
        }
        catch (OverflowException)
        {
            return long.MaxValue;
        }
    }

    internal static int SideOf(int features)
    {
        int side = (int)Math.Round(Math.Sqrt(features));
        if (side * side != features)
        {
            throw new ArgumentException($"model lstm reads each row of a square image as one time step, but {features} features are not a square number of pixels");
        }

        return side;
    }
}
