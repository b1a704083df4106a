// The Fashion-MNIST CNN of shared/bench (PyTorch's recipe, layer for layer), trained with the library
// directly: two conv/ReLU/max-pool stages, then a 128-unit hidden layer; Adam, lr 1e-3, batch 128.
// Needs the Debian package dataset-fashion-mnist. One epoch reaches about 0.85 test accuracy (PyTorch's
// script with its own seed: 0.848 after one epoch).
// With --batch-norm, the same two convolutions with BatchNorm2d after each and Dropout before each
// Linear layer (train mode uses batch statistics and drops units; Eval() switches both off).
// Run: dotnet run -c Release --project samples/FashionCnn [-- EPOCHS] [--batch-norm]
// Writes the trained weights to runs/samples/FashionCnn/ under the current directory.
using System.Diagnostics;
using Backprop;
using Backprop.Data;
using Backprop.NN;
using Backprop.Optim;
using Backprop.Samples;
using Backprop.Serialization;

SampleArgs.ReportErrorsAsOneLine("FashionCnn");
bool batchNorm = args.Contains("--batch-norm");
string[] numbers = args.Where(a => a != "--batch-norm").ToArray();
int epochs = SampleArgs.Int(numbers, 0, "EPOCHS", 1);
var train = FashionMnist.Load(train: true, flatten: false); // (60000, 1, 28, 28), pixels in [0, 1]
var test = FashionMnist.Load(train: false, flatten: false);
string file = SampleArgs.OutputPath("FashionCnn", batchNorm ? "fashion_cnn_bn.safetensors" : "fashion_cnn.safetensors");

var init = new Generator(0);
var model = batchNorm
    ? new Sequential(
        new Conv2d(1, 16, 5, padding: 2, generator: init),  // (N, 16, 28, 28)
        new BatchNorm2d(16),
        new ReLU(),
        new MaxPool2d(2),                                    // (N, 16, 14, 14)
        new Conv2d(16, 32, 5, padding: 2, generator: init),  // (N, 32, 14, 14)
        new BatchNorm2d(32),
        new ReLU(),
        new MaxPool2d(2),                                    // (N, 32, 7, 7)
        new Flatten(),                                       // (N, 1568)
        new Dropout(0.25, generator: init),
        new Linear(32 * 7 * 7, 128, generator: init),
        new ReLU(),
        new Dropout(0.5, generator: init),
        new Linear(128, 10, generator: init))
    : new Sequential(
        new Conv2d(1, 16, 5, padding: 2, generator: init), // (N, 16, 28, 28)
        new ReLU(),
        new MaxPool2d(2),                                   // (N, 16, 14, 14)
        new Conv2d(16, 32, 5, padding: 2, generator: init), // (N, 32, 14, 14)
        new ReLU(),
        new MaxPool2d(2),                                   // (N, 32, 7, 7)
        new Flatten(),                                      // (N, 1568)
        new Linear(32 * 7 * 7, 128, generator: init),
        new ReLU(),
        new Linear(128, 10, generator: init));
Console.WriteLine(model);
Console.WriteLine($"{model.NumParameters():N0} parameters, {Threading.NumThreads} threads");

var optimizer = new Adam(model.Parameters(), lr: 1e-3);
var loader = new DataLoader(train, batchSize: 128, shuffle: true, seed: 0, prefetch: true);
var collector = new StepCollector(); // the runtime's collections fall between steps, not inside them
for (int epoch = 1; epoch <= epochs; epoch++)
{
    model.Train();
    var clock = Stopwatch.StartNew();
    double lossSum = 0;
    foreach (var (x, y) in loader)
    {
        optimizer.ZeroGrad();
        var loss = F.CrossEntropy(model.Forward(x), y);
        loss.Backward();
        optimizer.Step();
        lossSum += loss.Item() * x.Size(0);
        collector.StepCompleted();
    }

    double seconds = clock.Elapsed.TotalSeconds;
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

    Console.WriteLine($"epoch {epoch} train_loss {lossSum / train.Count:F4} test_acc {(double)correct / test.Count:F4} epoch_s {seconds:F1}");
}

SafeTensors.Save(file, model.StateDict());
Console.WriteLine($"wrote {file} (keys 0.weight, 0.bias, ... as in PyTorch's state_dict of the same Sequential)");
