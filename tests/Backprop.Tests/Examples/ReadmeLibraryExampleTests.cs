using Backprop.Data;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Tests.Examples;

/// <summary>The README's library example, as written there, trains a digits classifier.</summary>
public class ReadmeLibraryExampleTests
{
    [Fact]
    public void DigitsClassifierFromTheReadmeLearns()
    {
        var (train, test) = Digits.Split();
        var model = new Sequential(new Linear(64, 128), new ReLU(), new Linear(128, 10));
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        for (int epoch = 0; epoch < 20; epoch++)
        {
            foreach (var (x, y) in new DataLoader(train, batchSize: 32, shuffle: true, seed: epoch))
            {
                opt.ZeroGrad();
                var loss = F.CrossEntropy(model.Forward(x), y);
                loss.Backward();
                opt.Step();
            }
        }

        using (Backprop.Autograd.NoGrad())
        {
            var predicted = model.Forward(test.Features).ArgMax(1).ToArray<long>();
            var labels = test.Labels.ToArray<long>();
            double accuracy = predicted.Zip(labels).Count(p => p.First == p.Second) / (double)labels.Length;
            Assert.True(accuracy > 0.95, $"accuracy {accuracy}");
        }
    }
}
