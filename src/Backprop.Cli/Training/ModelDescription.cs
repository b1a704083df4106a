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

    private ModelDescription(string text, int inFeatures, int outFeatures, Func<Generator?, Generator?, Module> build)
    {
        Text = text;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        _build = build;
    }

    public string Text { get; }

    public int InFeatures { get; }

    public int OutFeatures { get; }

    /// <summary>Parses a spec text, checking it against the data's sizes when given.</summary>
    public static ModelDescription Parse(string text, int? inFeatures = null, int? classes = null)
    {
        text = text.Trim();
        if (LstmClassifier.IsSpec(text))
        {
            var (canonical, features, hidden, outputs) = LstmClassifier.ParseSpec(text, inFeatures, classes);
            return new ModelDescription(canonical, features, outputs, (init, _) => new LstmClassifier(features, hidden, outputs, init));
        }

        var spec = ModelSpec.Parse(text, inFeatures, classes);
        return new ModelDescription(spec.ToString(), spec.InFeatures, spec.OutFeatures, spec.Build);
    }

    /// <summary>Builds the network; weights are drawn from <paramref name="init"/>, dropout masks from <paramref name="dropout"/>.</summary>
    public Module Build(Generator? init = null, Generator? dropout = null) => _build(init, dropout);

    public override string ToString() => Text;
}
