using Backprop.NN;

namespace Backprop.Tests.NN;

public class TrainingTests
{
    [Fact]
    public void MlpLearnsXorQuadrantsWithPlainSgd()
    {
        // Labels by the sign of x·y: not linearly separable, so the hidden layer must do the work.
        var g = new Generator(0);
        const int n = 200;
        var points = new float[n * 2];
        var labels = new long[n];
        for (int i = 0; i < n; i++)
        {
            float a = (float)((g.NextDouble() < 0.5 ? -1 : 1) * (0.3 + g.NextDouble()));
            float b = (float)((g.NextDouble() < 0.5 ? -1 : 1) * (0.3 + g.NextDouble()));
            points[2 * i] = a;
            points[(2 * i) + 1] = b;
            labels[i] = a * b > 0 ? 1 : 0;
        }

        var x = Tensor.FromArray(points, n, 2);
        var y = Tensor.FromArray(labels, n);
        var init = new Generator(1);
        var model = new Sequential(new Linear(2, 16, generator: init), new ReLU(), new Linear(16, 2, generator: init));
        var loss = new CrossEntropyLoss();
        const float lr = 0.5f;
        double first = 0, last = 0;
        for (int step = 0; step < 500; step++)
        {
            model.ZeroGrad();
            var l = loss.Forward(model.Forward(x), y);
            l.Backward();
            first = step == 0 ? l.Item() : first;
            last = l.Item();
            foreach (var p in model.Parameters())
            {
                var w = p.F32;
                var grad = p.Grad!.F32;
                for (int i = 0; i < w.Length; i++)
                {
                    w[i] -= lr * grad[i];
                }
            }
        }

        model.Eval();
        Tensor predicted;
        using (Backprop.Autograd.NoGrad())
        {
            predicted = model.Forward(x).ArgMax(1);
        }

        Assert.Equal(labels, predicted.ToArray<long>());
        Assert.True(last < first / 5, $"loss went from {first} to {last}");
    }
}
