using Backprop.NN;

namespace Backprop.Cli.Training;

/// <summary>
/// The architecture named by <c>--model</c> and stored in a model file: an MLP layer spec
/// (<see cref="ModelSpec"/>) or the row-sequential LSTM classifier (<see cref="LstmClassifier"/>).
/// Its text rebuilds it: <see cref="Parse"/> of <see cref="ToString"/> gives the same architecture.
/// </summary>
internal sealed class ModelDescription
{
    private readonly Func<Generator?, Generator?, Module> _build;

    private ModelDescription(string text, int inFeatures, int outFeatures, long numParameters, long numStateElements, string layers, Func<Generator?, Generator?, Module> build)
    {
        NumStateElements = numStateElements;
        Text = text;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        NumParameters = numParameters;
        Layers = layers;
        _build = build;
    }

    public string Text { get; }

    public int InFeatures { get; }

    public int OutFeatures { get; }

    /// <summary>The weights and biases <see cref="Build"/> creates, computed without building (long.MaxValue past that).</summary>
    public long NumParameters { get; }

    /// <summary>The elements of the state dict <see cref="Build"/>'s network has (parameters and buffers), which a model file must hold.</summary>
    public long NumStateElements { get; }

    /// <summary>The shapes of the main weights, for error messages, e.g. <c>Linear weights (256x784), (10x256)</c>.</summary>
    public string Layers { get; }

    /// <summary>Parses a spec text, checking it against the data's sizes when given.</summary>
    public static ModelDescription Parse(string text, int? inFeatures = null, int? classes = null)
    {
        text = text.Trim();
        if (LstmClassifier.IsSpec(text))
        {
            var (canonical, features, hidden, outputs) = LstmClassifier.ParseSpec(text, inFeatures, classes);
            return new ModelDescription(
                canonical,
                features,
                outputs,
                LstmClassifier.NumParameters(features, hidden, outputs),
                LstmClassifier.NumParameters(features, hidden, outputs),
                $"LSTM weight_ih_l0 ({4L * hidden}x{LstmClassifier.SideOf(features)}), Linear weight ({outputs}x{hidden})",
                (init, _) => new LstmClassifier(features, hidden, outputs, init));
        }

        var spec = ModelSpec.Parse(text, inFeatures, classes);
        var shapes = spec.IsCnn ? [] : spec.Sizes.Zip(spec.Sizes.Skip(1), (n, m) => $"({m}x{n})").ToList();
        string layers = shapes.Count == 0 ? (spec.BatchNorm ? "two 3x3 convolutions with batch norm and two Linear layers" : "two 5x5 convolutions and two Linear layers") : $"Linear weights {string.Join(", ", shapes.Take(4))}{(shapes.Count > 4 ? ", ..." : "")}";
        return new ModelDescription(spec.ToString(), spec.InFeatures, spec.OutFeatures, spec.NumParameters, spec.NumStateElements, layers, spec.Build);
    }

    /// <summary>Builds the network; weights are drawn from <paramref name="init"/>, dropout masks from <paramref name="dropout"/>.</summary>
    public Module Build(Generator? init = null, Generator? dropout = null) => _build(init, dropout);

    public override string ToString() => Text;
}
