using System.Text.Json;
using Backprop.Diagnostics;

namespace Backprop.Tests.Diagnostics;

public sealed class TrainingHistoryTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "backprop-history-" + Guid.NewGuid().ToString("N"));

    public TrainingHistoryTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static TrainingHistory Sample()
    {
        var h = new TrainingHistory();
        h.Add(1, 0.5, 0.25, 0.875, 1.5);
        h.Add(new EpochRecord(2, 0.1, 0.3333333333333333, 0.9, 12.25, 0.96875));
        return h;
    }

    [Fact]
    public void CsvHasHeaderAndInvariantNumbers()
    {
        string path = Path.Combine(_dir, "history.csv");
        Sample().WriteCsv(path);
        Assert.Equal(
            "epoch,train_loss,test_loss,test_acc,epoch_s,train_acc\n1,0.5,0.25,0.875,1.5,NaN\n2,0.1,0.3333333333333333,0.9,12.25,0.96875\n",
            File.ReadAllText(path));
        Assert.Equal(new[] { "history.csv" }, Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void JsonIsAnArrayOfRecordsWithCsvKeys()
    {
        string path = Path.Combine(_dir, "history.json");
        var h = Sample();
        h.Add(3, 0.05, double.NaN, double.NaN, 2);
        h.WriteJson(path);

        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var items = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(3, items.Length);
        Assert.Equal(2, items[1].GetProperty("epoch").GetInt32());
        Assert.Equal(0.1, items[1].GetProperty("train_loss").GetDouble());
        Assert.Equal(0.3333333333333333, items[1].GetProperty("test_loss").GetDouble());
        Assert.Equal(0.9, items[1].GetProperty("test_acc").GetDouble());
        Assert.Equal(12.25, items[1].GetProperty("epoch_s").GetDouble());
        Assert.Equal(0.96875, items[1].GetProperty("train_acc").GetDouble());
        Assert.Equal(JsonValueKind.Null, items[0].GetProperty("train_acc").ValueKind);
        Assert.Equal(JsonValueKind.Null, items[2].GetProperty("test_loss").ValueKind);
        Assert.Equal(JsonValueKind.Null, items[2].GetProperty("test_acc").ValueKind);
    }

    [Fact]
    public void CsvAndJsonReadBackExactly()
    {
        var h = Sample();
        h.Add(3, 1.0 / 3, double.NaN, 0.1 + 0.2, 1e-9);
        string csv = Path.Combine(_dir, "h.csv");
        string json = Path.Combine(_dir, "h.json");
        h.WriteCsv(csv);
        h.WriteJson(json);

        Assert.Equal(h.Epochs, TrainingHistory.ReadCsv(csv).Epochs);
        Assert.Equal(h.Epochs, TrainingHistory.ReadJson(json).Epochs);
        Assert.Equal(0.1 + 0.2, TrainingHistory.ReadCsv(csv).Epochs[2].TestAccuracy);
    }

    [Fact]
    public void EmptyHistoryIsJustTheHeader()
    {
        var h = new TrainingHistory();
        Assert.Equal("epoch,train_loss,test_loss,test_acc,epoch_s,train_acc\n", h.ToCsv());
        Assert.Equal("[]", h.ToJson());
        Assert.Empty(TrainingHistory.ParseCsv(h.ToCsv()).Epochs);
    }

    [Fact]
    public void BadCsvNamesLineAndColumn()
    {
        var ex = Assert.Throws<InvalidDataException>(() =>
            TrainingHistory.ParseCsv("epoch,train_loss,test_loss,test_acc,epoch_s,train_acc\n1,0.5,0.4,0.9,1,0.8\n2,0.4,abc,0.9,1,0.8\n", "h.csv"));
        Assert.Equal("h.csv: line 3, column 3 (test_loss): 'abc' is not a number", ex.Message);

        ex = Assert.Throws<InvalidDataException>(() => TrainingHistory.ParseCsv("a,b\n", "h.csv"));
        Assert.Contains("line 1: expected the header", ex.Message);

        ex = Assert.Throws<InvalidDataException>(() =>
            TrainingHistory.ParseCsv("epoch,train_loss,test_loss,test_acc,epoch_s\n1,2\n", "h.csv"));
        Assert.Equal("h.csv: line 2: expected 5 columns, got 2", ex.Message);

        ex = Assert.Throws<InvalidDataException>(() => TrainingHistory.ParseCsv(TrainingHistory.CsvHeader + "\n1,2,3,4,5\n", "h.csv"));
        Assert.Equal("h.csv: line 2: expected 6 columns, got 5", ex.Message);
    }

    [Fact]
    public void HistoriesWrittenBeforeTrainAccuracyReadWithNaN()
    {
        var csv = TrainingHistory.ParseCsv("epoch,train_loss,test_loss,test_acc,epoch_s\n1,0.5,0.4,0.9,1\n", "h.csv");
        Assert.Equal(new EpochRecord(1, 0.5, 0.4, 0.9, 1, double.NaN), Assert.Single(csv.Epochs));
        var json = TrainingHistory.ParseJson("[{\"epoch\":1,\"train_loss\":0.5,\"test_loss\":0.4,\"test_acc\":0.9,\"epoch_s\":1}]"u8, "h.json");
        Assert.True(double.IsNaN(Assert.Single(json.Epochs).TrainAccuracy));
    }

    [Fact]
    public void BadJsonIsInvalidData()
    {
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => TrainingHistory.ParseJson("[{"u8, "h.json")).Message);
        Assert.Equal("h.json: entry 0 has no 'test_acc'", Assert.Throws<InvalidDataException>(() =>
            TrainingHistory.ParseJson("[{\"epoch\":1,\"train_loss\":1,\"test_loss\":1,\"epoch_s\":1}]"u8, "h.json")).Message);
    }
}
