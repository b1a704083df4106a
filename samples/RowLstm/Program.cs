// A row-sequential LSTM classifier: each image is read one pixel row per time step, and the last
// hidden state decides the class, so the network must carry what it saw through time (backprop
// through time trains it). The same model as `backprop train --model lstm` and PyTorch's RowLSTM
// in shared/bench/torch_fmnist.py, written here as a small custom module.
//
// Run: dotnet run -c Release --project samples/RowLstm                  (embedded 8×8 digits, seconds)
//      dotnet run -c Release --project samples/RowLstm -- fashion-mnist 5  (28×28 Fashion-MNIST, needs
//                                                                        the Debian package dataset-fashion-mnist)
using System.Diagnostics;
using Backprop;
using Backprop.Data;
using Backprop.NN;
using Backprop.Optim;
using Backprop.Samples;

SampleArgs.ReportErrorsAsOneLine("RowLstm");
string data = args.Length > 0 ? args[0] : "digits";
int epochs = SampleArgs.Int(args, 1, "EPOCHS", 10);
var (train, test, side) = data switch
{
    "digits" => LoadDigits(),
    "fashion-mnist" => (FashionMnist.Load(train: true), FashionMnist.Load(train: false), 28),
    _ => throw new ArgumentException($"unknown data set '{data}' (expected digits or fashion-mnist)"),
};

var model = new RowLstm(side, hidden: 128, classes: 10, new Generator(0));
var optimizer = new Adam(model.Parameters(), lr: 1e-3);
Console.WriteLine($"{data}: {train.Count} training images of {side}x{side}, read as {side} steps of {side} pixels");
Console.WriteLine(model);
for (int epoch = 1; epoch <= epochs; epoch++)
{
    var clock = Stopwatch.StartNew();
    double lossSum = 0;
    model.Train();
    foreach (var (x, y) in new DataLoader(train, batchSize: data == "digits" ? 32 : 128, shuffle: true, seed: epoch, prefetch: true))
    {
        optimizer.ZeroGrad();
        var loss = F.CrossEntropy(model.Forward(x), y);
        loss.Backward();

        // Long sequences can make gradients explode; clipping the global norm keeps steps bounded.
        ClipGrad.ClipGradNorm(model.Parameters(), maxNorm: 5.0);
        optimizer.Step();
        lossSum += loss.Item() * x.Size(0);
    }

    Console.WriteLine($"epoch {epoch}: train loss {lossSum / train.Count:F4}, test accuracy {Accuracy(model, test):F4} ({clock.Elapsed.TotalSeconds:F1} s)");
}

static double Accuracy(Module model, Dataset test)
{
    model.Eval();
    long correct = 0;
    using (Autograd.NoGrad())
    {
        foreach (var (x, y) in new DataLoader(test, batchSize: 1000))
        {
            var predicted = model.Forward(x).ArgMax(1).ToArray<long>();
            correct += predicted.Zip(y.ToArray<long>()).Count(p => p.First == p.Second);
        }
    }

    return (double)correct / test.Count;
}

static (TensorDataset Train, TensorDataset Test, int Side) LoadDigits()
{
    var (train, test) = Digits.Split(testFraction: 0.2, seed: 0);
    return (train, test, 8);
}

/// <summary>
/// (batch, side·side) pixels → (batch, side, side): side steps of side pixels → LSTM → last hidden
/// state → Linear → class logits. Its children are found by reflection: keys lstm.* and fc.*.
/// </summary>
internal sealed class RowLstm(int side, int hidden, int classes, Generator generator) : Module
{
    public LSTM Lstm { get; } = new(side, hidden, batchFirst: true, generator: generator);

    public Linear Fc { get; } = new(hidden, classes, generator: generator);

    public override Tensor Forward(Tensor input)
    {
        var (_, (h, _)) = Lstm.Forward(input.View(-1, side, side), null);
        return Fc.Forward(h[^1]);
    }
}
