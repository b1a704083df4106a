using System.Text.Json;

namespace Backprop.Cli.Training;

/// <summary>Everything that defines a training run; stored in checkpoints so <c>--resume</c> repeats it exactly.</summary>
internal sealed record TrainOptions(
    string Data,
    string? LabelColumn,
    string Model,
    int Epochs,
    int BatchSize,
    double Lr,
    string Optimizer,
    string Schedule,
    long Seed)
{
    public string ToJson() => JsonSerializer.Serialize(this);

    public static TrainOptions FromJson(string json, string source) =>
        JsonSerializer.Deserialize<TrainOptions>(json) ?? throw new InvalidDataException($"{source}: the training options are empty");

    /// <summary>Checks ranges, naming the option.</summary>
    public void Validate()
    {
        if (Epochs < 1)
        {
            throw new ArgumentException($"--epochs must be at least 1, got {Epochs}");
        }

        if (BatchSize < 1)
        {
            throw new ArgumentException($"--batch-size must be at least 1, got {BatchSize}");
        }

        if (!(Lr > 0) || double.IsInfinity(Lr))
        {
            throw new ArgumentException($"--lr must be a positive number, got {Lr}");
        }
    }
}
