namespace Backprop.Serve.Explainer;

// The JSON /api/explain answers with (camelCase). Every number comes twice: the value (null where
// it could not be computed) and the text explain prints (ExplainNumber: 10 significant digits),
// which the page shows, so the page and `backprop explain` print the same digits.

/// <summary>A number: its value (null when undefined, e.g. a finite difference at the edge of a domain) and explain's text for it.</summary>
internal sealed record NumberDto(double? Value, string Text);

/// <summary>A worked example's description.</summary>
internal sealed record ExampleDto(string Name, string Title, string Expected, int Rows, int Epochs, int Steps);

/// <summary>One input and its value.</summary>
internal sealed record InputDto(int Node, string Name, NumberDto Value);

/// <summary>Target, loss and learning rate used.</summary>
internal sealed record OptionsDto(double? Target, string Loss, double? LearningRate);

/// <summary>A node's box in the drawing, in pixels.</summary>
internal sealed record BoxDto(double X, double Y, double Width, double Height);

/// <summary>∂node/∂input for one input of a node: formula and number.</summary>
internal sealed record LocalDto(int Input, string Formula, NumberDto Value);

/// <summary>
/// One node of the graph, in topological order. <c>Box</c> is null for numbers written in the
/// program (2 in 2*x), which appear inside the formulas that use them instead of as boxes.
/// </summary>
internal sealed record NodeDto(
    int Index,
    string Name,
    string Kind,
    bool IsOutput,
    string Op,
    string Formula,
    NumberDto Value,
    bool RequiresGrad,
    bool OnPath,
    IReadOnlyList<int> Inputs,
    IReadOnlyList<LocalDto> Local,
    NumberDto Gradient,
    int Uses,
    int ForwardStep,
    BoxDto? Box);

/// <summary>A drawn edge from an input to its consumer: its polyline and where its label goes.</summary>
internal sealed record EdgeDto(int From, int To, int InputIndex, IReadOnlyList<double[]> Points, double[] Label);

/// <summary>
/// What one visit of the backward pass adds into one input v: upstream × local = product, and the
/// gradient of v before and after (version B: accumulate). <c>Use</c> counts v's contributions so
/// far (1-based) out of <c>Uses</c>; the last one completes ∂y/∂v.
/// </summary>
internal sealed record ContributionDto(int Input, int InputIndex, string LocalFormula, NumberDto Local, NumberDto Product, NumberDto Before, NumberDto After, int Use, int Uses);

/// <summary>
/// One step of the page: <c>start</c> (inputs and constants known), <c>forward</c> (one
/// operation computed), <c>seed</c> (∂y/∂y = 1), <c>backward</c> (one node pushes its gradient
/// into its inputs) or <c>done</c> (gradients, finite differences, gradient-descent step).
/// </summary>
internal sealed record StepDto(int Index, string Phase, int? Node, NumberDto? Upstream, IReadOnlyList<ContributionDto> Contributions);

/// <summary>One term ∂y/∂u · ∂u/∂v of version A's sum over the consumers u of v.</summary>
internal sealed record TermDto(int Consumer, int InputIndex, NumberDto ConsumerGradient, string LocalFormula, NumberDto Local, NumberDto Product, int Step);

/// <summary>∂y/∂v for a node v used more than once, as version A's sum over its consumers.</summary>
internal sealed record SumDto(int Node, IReadOnlyList<TermDto> Terms, NumberDto Gradient, bool EqualsVersionB);

/// <summary>∂y/∂x for one input with its central finite difference.</summary>
internal sealed record GradientDto(int Node, string Name, NumberDto Gradient, NumberDto FiniteDifference, NumberDto RelativeError, bool? Agrees);

/// <summary>One input's update w ← w − η ∂L/∂w.</summary>
internal sealed record UpdateDto(int Node, string Name, NumberDto Value, NumberDto LossGradient, NumberDto NewValue);

/// <summary>The loss and the gradient-descent step.</summary>
internal sealed record DescentDto(
    string Name,
    string Formula,
    NumberDto Value,
    string OutputGradientFormula,
    NumberDto OutputGradient,
    NumberDto? LearningRate,
    IReadOnlyList<UpdateDto> Updates,
    NumberDto OutputAfter,
    NumberDto ValueAfter,
    bool HasTarget);

/// <summary>The whole answer of <c>/api/explain</c>.</summary>
internal sealed record ExplainResponse(
    string Program,
    ExampleDto? Example,
    IReadOnlyList<InputDto> Inputs,
    string At,
    OptionsDto Options,
    int Output,
    string OutputName,
    IReadOnlyList<NodeDto> Nodes,
    IReadOnlyList<EdgeDto> Edges,
    double Width,
    double Height,
    IReadOnlyList<StepDto> Steps,
    IReadOnlyList<SumDto> Sums,
    IReadOnlyList<GradientDto> Gradients,
    DescentDto? Descent);
