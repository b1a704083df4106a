namespace Backprop.Explain;

/// <summary>The worked examples of docs/design.md §1 as explain programs, by name (<c>backprop explain --example NAME</c>).</summary>
public static class WorkedExamples
{
    private const string MazurProgram =
        """
        i1 = 0.05; i2 = 0.10; b1 = 0.35; b2 = 0.60; t1 = 0.01; t2 = 0.99
        net_h1 = w1*i1 + w2*i2 + b1; out_h1 = sigmoid(net_h1)
        net_h2 = w3*i1 + w4*i2 + b1; out_h2 = sigmoid(net_h2)
        net_o1 = w5*out_h1 + w6*out_h2 + b2; out_o1 = sigmoid(net_o1)
        net_o2 = w7*out_h1 + w8*out_h2 + b2; out_o2 = sigmoid(net_o2)
        E = 0.5*(t1 - out_o1)^2 + 0.5*(t2 - out_o2)^2
        """;

    // 2 inputs → 2 linear hidden units → 1 output: w11, w12, b1 and w21, w22, b2 for the hidden
    // units, v1, v2, c for the output: 9 parameters.
    private const string HiddenLayer =
        """
        h1 = w11*x1 + w12*x2 + b1
        h2 = w21*x1 + w22*x2 + b2
        """;

    private const string RegressionBody = HiddenLayer + "\n" +
        """
        yhat = v1*h1 + v2*h2 + c
        L = (y - yhat)^2
        """;

    private const string ClassificationBody = HiddenLayer + "\n" +
        """
        z = v1*h1 + v2*h2 + c
        yhat = sigmoid(z)
        L = -(y*log(yhat) + (1 - y)*log(1 - yhat))
        """;

    private static readonly (string, double)[] s_twoTwoOneWeights =
        [("w11", 0.1), ("w12", 0.1), ("w21", 0.1), ("w22", 0.1), ("b1", 0), ("b2", 0), ("v1", 0.1), ("v2", 0.1), ("c", 0)];

    // The same network in matrix form: W1 holds w1..w4 by rows (net_h1 = w1·i1 + w2·i2), W2 holds w5..w8.
    private const string MazurMatrixProgram =
        """
        x = [0.05, 0.10]; b1 = [0.35, 0.35]; b2 = [0.60, 0.60]; t = [0.01, 0.99]
        h = sigmoid(W1 @ x + b1)
        o = sigmoid(W2 @ h + b2)
        E = 0.5*sum((t - o)^2)
        """;

    /// <summary>The worked examples in matrix form (<c>backprop explain --example NAME</c>), explained by <see cref="MatrixExplanation"/>.</summary>
    public static IReadOnlyList<string> MatrixNames { get; } = ["mazur-matrix"];

    /// <summary>The matrix-form example called <paramref name="name"/>.</summary>
    /// <param name="name">The example's name, one of <see cref="MatrixNames"/>.</param>
    /// <returns>The example.</returns>
    /// <exception cref="ArgumentException">No matrix-form example has that name; the message lists them.</exception>
    public static MatrixWorkedExample GetMatrix(string name) => name switch
    {
        "mazur-matrix" => new("mazur-matrix", "Matt Mazur's 2-2-2 sigmoid network in matrix form, E = ½·sum((t − o)²), biases held",
            "the same numbers as the scalar 'mazur' example: E = 0.298371109, ∂E/∂W2[0,0] = ∂E/∂w5 = 0.082167041; " +
            "after one step with η = 0.5: W1 = [[0.149780716, 0.199561432], [0.249751144, 0.299502287]], W2 = [[0.358916480, 0.408666186], [0.511301270, 0.561370121]].",
            MazurMatrixProgram,
            [("W1", Tensor.FromArray(new double[,] { { 0.15, 0.20 }, { 0.25, 0.30 } })), ("W2", Tensor.FromArray(new double[,] { { 0.40, 0.45 }, { 0.50, 0.55 } }))],
            new ExplainOptions { LearningRate = 0.5 }),
        _ => throw new ArgumentException($"unknown example '{name}' (known: {string.Join(", ", Names.Concat(MatrixNames))})"),
    };

    /// <summary>The example names, in the order of docs/design.md §1.</summary>
    public static IReadOnlyList<string> Names { get; } = ["abc", "chain", "w123", "mazur", "regression", "classification"];

    /// <summary>The example called <paramref name="name"/>.</summary>
    /// <param name="name">The example's name, one of <see cref="Names"/>.</param>
    /// <returns>The example.</returns>
    /// <exception cref="ArgumentException">No example has that name; the message lists them.</exception>
    public static WorkedExample Get(string name) => name switch
    {
        "abc" => new("abc", "f(a, b, c) = a·b + c", "∂f/∂a = b, ∂f/∂b = a, ∂f/∂c = 1 (here −3, 2, 1).",
            "f = a*b + c", [("a", 2), ("b", -3), ("c", 10)], new ExplainOptions()),
        "chain" => new("chain", "the chain rule: y = 5x + 3, x = t²", "dy/dt = dy/dx · dx/dt = 5 · 2t = 10t (here 30).",
            "x = t^2; y = 5*x + 3", [("t", 3)], new ExplainOptions()),
        "w123" => new("w123", "g = −2·w1, y = w2 + g, z = y·w3, loss = target − z",
            "z = −10, loss = 20, ∂z/∂w1 = −10, ∂z/∂w2 = 5, ∂z/∂w3 = −2.",
            "g = -2*w1; y = w2 + g; z = y*w3", [("w1", 3), ("w2", 4), ("w3", 5)],
            new ExplainOptions { Target = 10, Loss = ExplainLoss.Difference, LearningRate = 0.1 }),
        "mazur" => new("mazur", "Matt Mazur's 2-2-2 sigmoid network, E = ½Σ(t − o)², biases held",
            "out_h1 = 0.593269992, out_h2 = 0.596884378, out_o1 = 0.751365070, out_o2 = 0.772928465, E = 0.298371109; " +
            "after one step with η = 0.5: w1..w8 = 0.149780716, 0.199561432, 0.249751144, 0.299502287, 0.358916480, 0.408666186, 0.511301270, 0.561370121; " +
            "after 10,000 steps E = 3.5102e-05.",
            MazurProgram, [("w1", 0.15), ("w2", 0.20), ("w3", 0.25), ("w4", 0.30), ("w5", 0.40), ("w6", 0.45), ("w7", 0.50), ("w8", 0.55)],
            new ExplainOptions { LearningRate = 0.5 })
        {
            Steps = 10_000,
        },
        "regression" => DataSetExample("regression", "2-2-1 linear regression network (9 parameters), loss (y − ŷ)², η = 0.001",
            "mean loss per epoch 26.3456, 19.8594, 10.8816, 3.7770, 1.2238.",
            RegressionBody, [[8, 8, 4], [7, 9, 5], [6, 10, 6], [5, 12, 7]], 0.001, epochs: 5),
        "classification" => DataSetExample("classification", "the same network with a sigmoid output and binary cross-entropy, η = 0.01",
            "it trains: the loss decreases every epoch.",
            ClassificationBody, [[8, 8, 1], [7, 9, 1], [6, 10, 0], [5, 5, 0]], 0.01, epochs: 20),
        _ => throw new ArgumentException($"unknown example '{name}' (known: {string.Join(", ", Names)})"),
    };

    private static WorkedExample DataSetExample(string name, string title, string expected, string body, double[][] rows, double eta, int epochs)
    {
        string[] variables = ["x1", "x2", "y"];
        var probe = new WorkedExample(name, title, expected, "", [], new ExplainOptions()) { RowVariables = variables, Body = body };
        return new WorkedExample(name, title, expected, probe.ProgramFor(rows[0]), s_twoTwoOneWeights, new ExplainOptions { LearningRate = eta })
        {
            RowVariables = variables,
            Rows = rows,
            Body = body,
            Epochs = epochs,
        };
    }
}
