using System.Globalization;
using Backprop.NN;

namespace Backprop.Cli.Training;

/// <summary>
/// The defaults <c>backprop train</c> fills in for the flags a user leaves out. For Fashion-MNIST
/// with the <c>mlp</c> or <c>cnn</c> model they are the recipe that reaches the state of the art
/// for those networks' size in 20 epochs (docs/training.md): AdamW with weight decay 0.05, a
/// one-cycle learning rate whose rise takes the first 4 epochs, cross-entropy with label smoothing
/// 0.1, batch 128 and horizontal flips of the training images; <c>benchmarks/compare/torch_recipe.py</c>
/// is the same recipe in PyTorch. Anything else keeps the plain defaults (Adam 1e-3; cosine for
/// an MLP; 10 epochs of batch 128 on Fashion-MNIST, 30 of batch 32 otherwise). A flag the user
/// gives always wins over the recipe.
/// </summary>
internal sealed record TrainingRecipe(
    int Epochs,
    int BatchSize,
    double Lr,
    string Optimizer,
    string Schedule,
    int WarmupEpochs,
    double? WeightDecay,
    double LabelSmoothing,
    string Augment)
{
    /// <summary>The defaults for <paramref name="data"/> and <paramref name="model"/> as typed.</summary>
    public static TrainingRecipe For(string data, string model)
    {
        bool fashion = data == "fashion-mnist";
        if (fashion && model is "mlp" or "cnn")
        {
            return new TrainingRecipe(20, 128, model == "mlp" ? 2e-3 : 3e-3, "adamw", "onecycle", 4, 0.05, 0.1, "flip");
        }

        return new TrainingRecipe(fashion ? 10 : 30, fashion ? 128 : 32, 1e-3, "adam", model == "mlp" ? "cosine" : "none", 0, null, 0, Augmentation.None);
    }

    /// <summary>
    /// The run's recipe in one line, in PyTorch's terms, so it can be repeated there: model,
    /// optimizer and its weight decay, schedule, epochs, batch, loss and augmentation.
    /// </summary>
    public static string Describe(TrainOptions options, ModelDescription model, string schedule)
    {
        var c = CultureInfo.InvariantCulture;
        string optimizer = options.Optimizer switch
        {
            "sgd" => "SGD(momentum=0.9",
            "adam" => "Adam(",
            "adamw" => "AdamW(",
            _ => "RMSprop(",
        };
        string lr = options.Lr.ToString(c);
        string decay = string.Create(c, $"weight_decay={options.WeightDecay ?? (options.Optimizer == "adamw" ? 1e-2 : 0)}");
        string separator = optimizer.EndsWith('(') ? "" : ", ";
        string smoothing = options.LabelSmoothing > 0 ? string.Create(c, $"(label_smoothing={options.LabelSmoothing})") : "";
        return $"recipe: model {model}, {optimizer}{separator}lr={lr}, {decay}), {schedule}, {options.Epochs} epoch{(options.Epochs == 1 ? "" : "s")} of batch {options.BatchSize}" +
            (options.Accumulate > 1 ? string.Create(c, $" (x{options.Accumulate} accumulated)") : "") +
            $", cross-entropy{smoothing}, augment {options.Augment}, seed {options.Seed}";
    }
}
