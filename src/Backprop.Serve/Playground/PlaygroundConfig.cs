using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Backprop.Serve.Playground;

/// <summary>
/// What the playground trains: a 2-D data set (moons, circles, spiral, xor, with its noise, size and
/// train/test split) and an MLP (depth, width, activation, initialization), with an optimizer,
/// learning rate and batch size. Read from the query string; every field is checked against
/// <see cref="PlaygroundLimits"/> so a bad one is refused with a message that names it.
/// </summary>
internal sealed record PlaygroundConfig(
    string Data,
    double Noise,
    int Points,
    double TestFraction,
    int Depth,
    int Width,
    string Activation,
    string Init,
    string Optimizer,
    double LearningRate,
    int BatchSize,
    long Seed)
{
    public static readonly string[] DataSets = ["moons", "circles", "spiral", "xor"];
    public static readonly string[] Activations = ["relu", "tanh", "sigmoid"];
    public static readonly string[] Inits = ["default", "he", "xavier"];
    public static readonly string[] Optimizers = ["sgd", "adam", "rmsprop"];

    public static PlaygroundConfig FromQuery(IQueryCollection query)
    {
        string Text(string name, string fallback)
        {
            if (!query.TryGetValue(name, out var values) || values.Count == 0 || string.IsNullOrEmpty(values[0]))
            {
                return fallback;
            }

            return values.Count > 1 ? throw new RequestException($"'{name}' is given {values.Count} times: give it once") : values[0]!;
        }

        string Choice(string name, string[] choices, string fallback)
        {
            string value = Text(name, fallback);
            return choices.Contains(value, StringComparer.Ordinal)
                ? value
                : throw new RequestException($"'{name}' must be one of {string.Join(", ", choices)}, got '{ExplainerShorten(value)}'");
        }

        double Number(string name, double fallback, double min, double max)
        {
            string text = Text(name, fallback.ToString("R", CultureInfo.InvariantCulture));
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= min && value <= max
                ? value
                : throw new RequestException($"'{name}' must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, got '{ExplainerShorten(text)}'");
        }

        int Whole(string name, int fallback, int min, int max)
        {
            string text = Text(name, fallback.ToString(CultureInfo.InvariantCulture));
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
                ? value
                : throw new RequestException($"'{name}' must be a whole number from {min} to {max}, got '{ExplainerShorten(text)}'");
        }

        double lr = Number("lr", 0.03, 0, 10);
        if (!(lr > 0))
        {
            throw new RequestException("'lr' (the learning rate) must be positive");
        }

        int points = Whole("points", 400, PlaygroundLimits.MinPoints, PlaygroundLimits.MaxPoints);
        return new PlaygroundConfig(
            Choice("data", DataSets, "moons"),
            Number("noise", 0.1, 0, 1),
            points,
            Number("test", 0.3, 0.1, 0.9),
            Whole("depth", 2, 1, PlaygroundLimits.MaxDepth),
            Whole("width", 8, 1, PlaygroundLimits.MaxWidth),
            Choice("activation", Activations, "relu"),
            Choice("init", Inits, "default"),
            Choice("optimizer", Optimizers, "adam"),
            lr,
            Whole("batch", 16, 1, PlaygroundLimits.MaxPoints),
            Whole("seed", 1, 0, int.MaxValue));
    }

    private static string ExplainerShorten(string text) => Explainer.ExplainRequest.Shorten(text);
}

/// <summary>The bounds of a playground session: network and data size, how many run at once, how long and how far each may train.</summary>
public static class PlaygroundLimits
{
    /// <summary>Hidden layers.</summary>
    public const int MaxDepth = 10;

    /// <summary>Units per hidden layer.</summary>
    public const int MaxWidth = 32;

    /// <summary>Fewest points of a data set.</summary>
    public const int MinPoints = 20;

    /// <summary>Most points of a data set.</summary>
    public const int MaxPoints = 2_000;

    /// <summary>Training sessions at once (one per open playground page); more are refused with 429.</summary>
    public const int MaxSessions = 4;

    /// <summary>How long one session may live; then it ends and the page offers to start again.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(20);

    /// <summary>Training steps (batches) of one session.</summary>
    public const int MaxSteps = 200_000;
}
