using Backprop.Data;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Serve.Playground;

/// <summary>One point of a data set: its coordinates and class (0 or 1).</summary>
internal sealed record PointDto(double X, double Y, int Label);

/// <summary>What a page needs before the first frame: the data and the network's layer sizes.</summary>
internal sealed record SessionDto(string Id, IReadOnlyList<PointDto> Train, IReadOnlyList<PointDto> Test, IReadOnlyList<int> Sizes, double Extent, int Grid);

/// <summary>
/// The state of training after a step: losses and accuracies on the train and test points, the
/// weight-gradient norm ‖∂L/∂W‖ of every Linear layer (layer 1 next to the input), the weights
/// (for edge thickness; none for a network of more than <see cref="TrainingSession.MaxDrawnWeights"/>), and P(class 1) on a grid over the plane (the decision boundary), as bytes
/// 0..255 in base64, row by row from the top.
/// </summary>
internal sealed record FrameDto(
    int Step,
    double Epoch,
    double TrainLoss,
    double TestLoss,
    double TrainAccuracy,
    double TestAccuracy,
    IReadOnlyList<double> GradientNorms,
    IReadOnlyList<double[]> Weights,
    string Heat);

/// <summary>
/// An MLP of the library training on a 2-D data set, one batch per <see cref="Step"/>: the same
/// modules, loss and optimizers <c>backprop train</c> uses. Not thread-safe: one request's loop owns it.
/// </summary>
internal sealed class TrainingSession
{
    /// <summary>The heat map's cells per side.</summary>
    public const int Grid = 48;

    /// <summary>Most weights sent with a frame to be drawn as edges; a larger network is drawn without them.</summary>
    public const int MaxDrawnWeights = 3_000;

    private readonly Sequential _model;
    private readonly List<Linear> _layers;
    private readonly Optimizer _optimizer;
    private readonly DataLoader _loader;
    private readonly Tensor _trainX, _trainY, _testX, _testY, _gridX;
    private readonly double[] _gradientNorms;
    private IEnumerator<(Tensor X, Tensor Y)> _batches;

    public TrainingSession(PlaygroundConfig config, string id)
    {
        Config = config;
        Id = id;
        var (train, test) = PlaygroundData.Make(config);
        (_trainX, _trainY, _testX, _testY) = (train.Features, train.Labels, test.Features, test.Labels);
        Train = Points(train);
        Test = Points(test);
        Sizes = [2, .. Enumerable.Repeat(config.Width, config.Depth), 2];
        var init = new Generator(config.Seed);
        _model = new ModelSpec([.. Sizes], config.Activation).Build(init);
        _layers = [.. _model.Modules().OfType<Linear>()];
        if (config.Init != "default")
        {
            foreach (var linear in _layers)
            {
                if (config.Init == "he")
                {
                    Init.KaimingNormal(linear.Weight, nonlinearity: Nonlinearity.Relu, generator: init);
                }
                else
                {
                    Init.XavierNormal(linear.Weight, Init.CalculateGain(config.Activation switch
                    {
                        "tanh" => Nonlinearity.Tanh,
                        "sigmoid" => Nonlinearity.Sigmoid,
                        _ => Nonlinearity.Relu,
                    }), init);
                }

                Init.Zeros(linear.Bias!);
            }
        }

        var parameters = _model.Parameters();
        _optimizer = config.Optimizer switch
        {
            "sgd" => new SGD(parameters, config.LearningRate),
            "rmsprop" => new RMSprop(parameters, config.LearningRate),
            _ => new Adam(parameters, config.LearningRate),
        };
        _loader = new DataLoader(train, Math.Min(config.BatchSize, train.Count), shuffle: true, seed: config.Seed);
        _batches = _loader.GetEnumerator();
        _gradientNorms = new double[_layers.Count];

        // The plane shown: a square around the data, the same for every frame.
        var all = Train.Concat(Test).ToList();
        Extent = Math.Ceiling(all.Max(p => Math.Max(Math.Abs(p.X), Math.Abs(p.Y))) * 1.15 * 10) / 10;
        var grid = new float[Grid * Grid * 2];
        for (int row = 0; row < Grid; row++)
        {
            for (int col = 0; col < Grid; col++)
            {
                int i = (row * Grid) + col;
                grid[2 * i] = (float)(-Extent + ((col + 0.5) * 2 * Extent / Grid));
                grid[(2 * i) + 1] = (float)(Extent - ((row + 0.5) * 2 * Extent / Grid));
            }
        }

        _gridX = Tensor.FromArray(grid, Grid * Grid, 2);
    }

    public PlaygroundConfig Config { get; }

    public string Id { get; }

    public IReadOnlyList<PointDto> Train { get; }

    public IReadOnlyList<PointDto> Test { get; }

    public IReadOnlyList<int> Sizes { get; }

    /// <summary>The plane shown is [−Extent, Extent]².</summary>
    public double Extent { get; }

    /// <summary>Batches trained so far.</summary>
    public int Steps { get; private set; }

    public SessionDto Describe() => new(Id, Train, Test, Sizes, Extent, Grid);

    /// <summary>One batch: forward, cross-entropy, backward, the per-layer gradient norms, the optimizer's step.</summary>
    public void Step()
    {
        if (!_batches.MoveNext())
        {
            _batches.Dispose();
            _batches = _loader.GetEnumerator();
            _batches.MoveNext();
        }

        var (x, y) = _batches.Current;
        _optimizer.ZeroGrad();
        var loss = Tensor.CrossEntropy(_model.Forward(x), y);
        loss.Backward();
        for (int i = 0; i < _layers.Count; i++)
        {
            var g = _layers[i].Weight.Grad!.ToArray();
            _gradientNorms[i] = Math.Sqrt(g.Sum(v => v * v));
        }

        _optimizer.Step();
        Steps++;
    }

    public FrameDto Frame()
    {
        using var _ = Autograd.NoGrad();
        var (trainLoss, trainAccuracy) = Evaluate(_trainX, _trainY);
        var (testLoss, testAccuracy) = Evaluate(_testX, _testY);
        var probabilities = _model.Forward(_gridX).Softmax(1).ToArray();
        var heat = new byte[Grid * Grid];
        for (int i = 0; i < heat.Length; i++)
        {
            double p = probabilities[(2 * i) + 1];
            heat[i] = double.IsNaN(p) ? (byte)128 : (byte)Math.Round(Math.Clamp(p, 0, 1) * 255);
        }

        return new FrameDto(
            Steps,
            Math.Round((double)Steps * _loader.BatchSize / Train.Count, 3),
            trainLoss,
            testLoss,
            trainAccuracy,
            testAccuracy,
            [.. _gradientNorms],
            _layers.Sum(l => l.Weight.Numel) <= MaxDrawnWeights ? [.. _layers.Select(l => l.Weight.ToArray())] : [],
            Convert.ToBase64String(heat));
    }

    private (double Loss, double Accuracy) Evaluate(Tensor x, Tensor y)
    {
        var logits = _model.Forward(x);
        double loss = Tensor.CrossEntropy(logits, y).Item();
        var predicted = logits.ArgMax(1).ToArray();
        var labels = y.ToArray();
        int right = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            right += predicted[i] == labels[i] ? 1 : 0;
        }

        return (loss, labels.Length == 0 ? double.NaN : (double)right / labels.Length);
    }

    private static List<PointDto> Points(TensorDataset data)
    {
        var x = data.Features.ToArray();
        var y = data.Labels.ToArray();
        return [.. Enumerable.Range(0, y.Length).Select(i => new PointDto(Math.Round(x[2 * i], 4), Math.Round(x[(2 * i) + 1], 4), (int)y[i]))];
    }
}
