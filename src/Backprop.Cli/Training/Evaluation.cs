using Backprop.Data;
using Backprop.Metrics;
using Backprop.NN;

namespace Backprop.Cli.Training;

/// <summary>Mean cross-entropy, accuracy and confusion matrix (the library's, with its precision, recall and F1) of a classifier on a data set.</summary>
internal sealed record Evaluation(double Loss, double Accuracy, ConfusionMatrix Confusion)
{
    // 256 rows at a time: a CNN's activations for 1,000 Fashion-MNIST images are about 200 MB, which
    // made evaluation, not training, set the peak memory of a run. The batches run on a snapshot of the
    // model frozen for this evaluation (its weights packed once, not once per batch; the same values as
    // the eval-mode forward), taken now, so training the model afterwards is unaffected.
    public static Evaluation Run(Module model, Dataset data, int classes, int batchSize = 256)
    {
        bool wasTraining = model.IsTraining;
        model.Eval();
        var frozen = model.Freeze();
        var confusion = new ConfusionMatrix(classes);
        double lossSum = 0;
        long correct = 0, count = 0;
        var collector = new StepCollector(); // each batch's activations die before the next: collect between batches
        using (Autograd.NoGrad())
        {
            foreach (var (x, y) in new DataLoader(data, batchSize, prefetch: true))
            {
                collector.StepCompleted();
                var logits = frozen.Forward(x);
                if (logits.Size(1) < classes)
                {
                    throw new ArgumentException($"the model has {logits.Size(1)} outputs but the data has {classes} classes");
                }

                var labels = y.ToArray<long>();
                foreach (long label in labels)
                {
                    if (label >= logits.Size(1))
                    {
                        throw new ArgumentException($"label {label} is out of range for a model with {logits.Size(1)} outputs");
                    }
                }

                lossSum += Tensor.CrossEntropy(logits, y, Reduction.Sum).Item();
                var predicted = logits.ArgMax(1).ToArray<long>();
                for (int i = 0; i < labels.Length; i++)
                {
                    correct += predicted[i] == labels[i] ? 1 : 0;
                    if (labels[i] < classes && predicted[i] < classes)
                    {
                        confusion.Add(labels[i], predicted[i]);
                    }
                }

                count += labels.Length;
            }
        }

        model.Train(wasTraining);
        return new Evaluation(count == 0 ? double.NaN : lossSum / count, count == 0 ? double.NaN : (double)correct / count, confusion);
    }
}
