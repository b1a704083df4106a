using System.Diagnostics.Metrics;
using Backprop.Diagnostics;

namespace Backprop.Tests.Diagnostics;

public class TrainingTelemetryTests
{
    [Fact]
    public void AListenerOnTheBackpropMeterReceivesTheBatchAndEpochMeasurements()
    {
        var measured = new List<(string Name, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TrainingTelemetry.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, state) =>
        {
            lock (measured)
            {
                measured.Add((instrument.Name, value));
            }
        });
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, state) =>
        {
            lock (measured)
            {
                measured.Add((instrument.Name, value));
            }
        });
        listener.Start();

        // A unique loss value tells this test's measurements from any other test training at the same time.
        TrainingTelemetry.RecordBatch(1234.5, 32, 0.5);
        TrainingTelemetry.RecordEpoch(2.25, 4321.5, double.NaN);
        List<(string Name, double Value)> mine;
        lock (measured)
        {
            mine = [.. measured];
        }

        Assert.Contains(("backprop.train.loss", 1234.5), mine);
        Assert.Contains(("backprop.train.samples", 32.0), mine);
        Assert.Contains(("backprop.train.throughput", 64.0), mine);
        Assert.Contains(("backprop.epoch.duration", 2.25), mine);
        Assert.Contains(("backprop.eval.loss", 4321.5), mine);
        Assert.Contains(mine, m => m.Name == "backprop.train.epochs");
        Assert.DoesNotContain(mine, m => m.Name == "backprop.eval.accuracy" && double.IsNaN(m.Value));
        Assert.Equal("Backprop", TrainingTelemetry.Meter.Name);
    }
}
