using System.Diagnostics.Metrics;

namespace Backprop.Diagnostics;

/// <summary>
/// <c>System.Diagnostics.Metrics</c> instruments for training, on the meter named
/// <see cref="MeterName"/> ("Backprop"), so a host application sees a run in
/// <c>dotnet-counters monitor --counters Backprop</c>, OpenTelemetry (<c>AddMeter("Backprop")</c>) or a
/// <see cref="MeterListener"/>. <c>backprop train</c> records through <see cref="RecordBatch"/> and
/// <see cref="RecordEpoch"/>; a training loop of your own may call them too. With no listener a
/// recording costs a branch. Instruments: <c>backprop.train.loss</c> (histogram, each batch's mean loss),
/// <c>backprop.train.samples</c> (counter, samples trained), <c>backprop.train.throughput</c>
/// (histogram, samples per second of each batch), <c>backprop.train.epochs</c> (counter),
/// <c>backprop.epoch.duration</c> (histogram, seconds of training per epoch),
/// <c>backprop.eval.loss</c> and <c>backprop.eval.accuracy</c> (histograms, per evaluation).
/// </summary>
public static class TrainingTelemetry
{
    /// <summary>The meter's name, "Backprop".</summary>
    public const string MeterName = "Backprop";

    // First: the instruments below are created on it, in this order.
    private static readonly Meter s_meter = new(MeterName);
    private static readonly Histogram<double> Loss = s_meter.CreateHistogram<double>("backprop.train.loss", unit: null, "Mean loss of each training batch");
    private static readonly Counter<long> Samples = s_meter.CreateCounter<long>("backprop.train.samples", "{sample}", "Samples trained on");
    private static readonly Histogram<double> Throughput = s_meter.CreateHistogram<double>("backprop.train.throughput", "{sample}/s", "Samples per second of each training batch (forward, backward and step)");
    private static readonly Counter<long> Epochs = s_meter.CreateCounter<long>("backprop.train.epochs", "{epoch}", "Epochs completed");
    private static readonly Histogram<double> EpochDuration = s_meter.CreateHistogram<double>("backprop.epoch.duration", "s", "Training seconds of each epoch, evaluation excluded");
    private static readonly Histogram<double> EvalLoss = s_meter.CreateHistogram<double>("backprop.eval.loss", unit: null, "Mean loss of each evaluation");
    private static readonly Histogram<double> EvalAccuracy = s_meter.CreateHistogram<double>("backprop.eval.accuracy", unit: null, "Accuracy of each evaluation, in [0, 1]");

    /// <summary>The meter, created once per process.</summary>
    public static Meter Meter => s_meter;

    /// <summary>Records one training batch: its loss, its samples and its throughput.</summary>
    /// <param name="loss">The batch's mean loss.</param>
    /// <param name="samples">The samples in the batch.</param>
    /// <param name="seconds">The batch's wall time (forward, backward and step), for the throughput; none is recorded when it is not positive.</param>
    public static void RecordBatch(double loss, int samples, double seconds)
    {
        Loss.Record(loss);
        Samples.Add(samples);
        if (seconds > 0)
        {
            Throughput.Record(samples / seconds);
        }
    }

    /// <summary>Records a completed epoch's training time and its evaluation.</summary>
    /// <param name="seconds">The epoch's training seconds.</param>
    /// <param name="evalLoss">The evaluation's mean loss (NaN records none).</param>
    /// <param name="evalAccuracy">The evaluation's accuracy (NaN records none).</param>
    public static void RecordEpoch(double seconds, double evalLoss, double evalAccuracy)
    {
        Epochs.Add(1);
        EpochDuration.Record(seconds);
        if (!double.IsNaN(evalLoss))
        {
            EvalLoss.Record(evalLoss);
        }

        if (!double.IsNaN(evalAccuracy))
        {
            EvalAccuracy.Record(evalAccuracy);
        }
    }
}
