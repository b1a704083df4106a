using Backprop.Diagnostics;

namespace Backprop.Serve.Runs;

/// <summary>One run in the list of <c>GET /api/runs</c>.</summary>
/// <param name="Name">The run's name (its folder's), as <c>/runs?run=NAME</c> takes it.</param>
/// <param name="Status"><c>live</c>, <c>finished</c> or <c>stopped</c> (see <see cref="RunFolder.Status"/>).</param>
/// <param name="Epochs">Epochs done.</param>
/// <param name="PlannedEpochs">Epochs the run was started for, or null when unknown.</param>
/// <param name="TestAccuracy">The last epoch's test accuracy, or null.</param>
/// <param name="Modified">When the run last wrote a file (UTC).</param>
/// <param name="Problem">What could not be read, or null.</param>
internal sealed record RunSummaryDto(string Name, string Status, int Epochs, int? PlannedEpochs, double? TestAccuracy, DateTime Modified, string? Problem)
{
    /// <summary>The summary of <paramref name="run"/> at <paramref name="nowUtc"/>.</summary>
    /// <param name="run">The run.</param>
    /// <param name="nowUtc">The time now.</param>
    /// <returns>The summary.</returns>
    public static RunSummaryDto From(RunFolder run, DateTime nowUtc) => new(
        run.Name,
        run.Status(nowUtc),
        run.Epochs.Count,
        run.PlannedEpochs,
        run.Epochs.Count > 0 ? EpochDto.Finite(run.Epochs[^1].TestAccuracy) : null,
        run.LastWriteUtc,
        run.Problems.Count > 0 ? string.Join("; ", run.Problems) : null);
}

/// <summary>One run, as <c>GET /api/runs/{name}</c> answers: everything the page draws.</summary>
/// <param name="Name">The run's name.</param>
/// <param name="Status"><c>live</c>, <c>finished</c> or <c>stopped</c>.</param>
/// <param name="PlannedEpochs">Epochs the run was started for, or null when unknown.</param>
/// <param name="Modified">When the run last wrote a file (UTC).</param>
/// <param name="Epochs">The history, one entry per epoch.</param>
/// <param name="Gradients">The gradient report's rows (per epoch and layer), or null without one.</param>
/// <param name="Settings">The settings as flags of <c>backprop train</c>, or null when unknown.</param>
/// <param name="Files">The run's files that are present.</param>
/// <param name="Problems">What could not be read, one message per file.</param>
internal sealed record RunDto(
    string Name, string Status, int? PlannedEpochs, DateTime Modified, IReadOnlyList<EpochDto> Epochs,
    IReadOnlyList<GradientDto>? Gradients, IReadOnlyList<SettingDto>? Settings, IReadOnlyList<string> Files, IReadOnlyList<string> Problems)
{
    /// <summary>The answer for <paramref name="run"/> at <paramref name="nowUtc"/>.</summary>
    /// <param name="run">The run.</param>
    /// <param name="nowUtc">The time now.</param>
    /// <returns>The answer.</returns>
    public static RunDto From(RunFolder run, DateTime nowUtc) => new(
        run.Name, run.Status(nowUtc), run.PlannedEpochs, run.LastWriteUtc, [.. run.Epochs.Select(EpochDto.From)], run.Gradients, run.Settings, run.Files, run.Problems);
}

/// <summary>One epoch of the history; a value that was not measured (or is NaN) is null.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="TrainLoss">The mean training loss.</param>
/// <param name="TestLoss">The test loss after the epoch.</param>
/// <param name="TestAccuracy">The test accuracy after the epoch, in [0, 1].</param>
/// <param name="Seconds">The epoch's training time.</param>
internal sealed record EpochDto(int Epoch, double? TrainLoss, double? TestLoss, double? TestAccuracy, double? Seconds)
{
    /// <summary>The entry for <paramref name="e"/>.</summary>
    /// <param name="e">The history's record.</param>
    /// <returns>The entry.</returns>
    public static EpochDto From(EpochRecord e) => new(e.Epoch, Finite(e.TrainLoss), Finite(e.TestLoss), Finite(e.TestAccuracy), Finite(e.Seconds));

    /// <summary><paramref name="value"/>, or null when it is NaN or infinite (JSON has neither).</summary>
    /// <param name="value">A measurement.</param>
    /// <returns>The value or null.</returns>
    public static double? Finite(double value) => double.IsFinite(value) ? value : null;
}

/// <summary>One row of gradients.csv: a layer's gradient health over one epoch.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Layer">The Linear layer's index, from the input side.</param>
/// <param name="Name">The layer's module name.</param>
/// <param name="Activation">The activation after it (sigmoid, tanh, relu or none).</param>
/// <param name="GradNorm">Mean ‖∂L/∂W‖ over the epoch's batches.</param>
/// <param name="Saturated">Mean fraction of saturated sigmoid/tanh outputs, or null.</param>
/// <param name="Dead">Mean fraction of dead ReLU units, or null.</param>
internal sealed record GradientDto(int Epoch, int Layer, string Name, string Activation, double? GradNorm, double? Saturated, double? Dead);

/// <summary>One setting of the run, as the flag of <c>backprop train</c> that sets it.</summary>
/// <param name="Flag">The flag, e.g. <c>--lr</c>.</param>
/// <param name="Value">Its value as the flag takes it.</param>
internal sealed record SettingDto(string Flag, string Value);
