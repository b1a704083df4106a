using Backprop;
using Backprop.Data;
using Backprop.NN;
using Backprop.Onnx;
using Backprop.Optim;

// Trains a small MLP on the digits the library embeds, checks it learned, and exports it to ONNX.
var generator = new Generator(1);
var data = Digits.Load();
var model = new Sequential(new Linear(64, 32, generator: generator), new ReLU(), new Linear(32, 10, generator: generator));
var optimizer = new Adam(model.Parameters(), lr: 0.01);
var loader = new DataLoader(data, batchSize: 64, shuffle: true, generator: generator);
double loss = 0;
for (int epoch = 0; epoch < 3; epoch++)
{
    foreach (var (x, y) in loader)
    {
        optimizer.ZeroGrad();
        var batchLoss = F.CrossEntropy(model.Forward(x), y);
        batchLoss.Backward();
        optimizer.Step();
        loss = batchLoss.Item();
    }
}

string path = Path.Combine(args.Length > 0 ? args[0] : ".", "consumer.onnx");
OnnxExport.Save(model, path, [1, 64]);
Console.WriteLine($"loss {loss:F4}, wrote {path} ({new FileInfo(path).Length} bytes)");
return loss < 1.0 ? 0 : 1;
