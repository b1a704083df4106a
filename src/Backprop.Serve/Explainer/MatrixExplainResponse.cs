namespace Backprop.Serve.Explainer;

// The JSON /api/explain answers with for a program in matrix form (camelCase, "form": "matrix").
// Every value (a scalar, vector or matrix) comes with its shape, its entries' numbers (null where
// undefined) and texts as explain prints them (ExplainNumber), so the page shows the CLI's digits
// and computes nothing.

/// <summary>
/// A value of the matrix form: its shape (empty for a scalar), its entries row by row (values and
/// explain's texts), the whole as explain writes it (<c>[[0.15, 0.2], [0.25, 0.3]]</c>), and that text
/// cut into the lines a node's box shows (one per row of a matrix).
/// </summary>
internal sealed record ValueDto(IReadOnlyList<int> Shape, string ShapeText, IReadOnlyList<double?> Values, IReadOnlyList<string> Entries, string Text, IReadOnlyList<string> Lines);

/// <summary>A matrix-form example's description.</summary>
internal sealed record MatrixExampleDto(string Name, string Title, string Expected);

/// <summary>One input of the matrix form and its value.</summary>
internal sealed record MatrixInputDto(int Node, string Name, ValueDto Value);

/// <summary>One node of the matrix form's graph, in topological order; <c>Box</c> is null for numbers and arrays written in the program without a name.</summary>
internal sealed record MatrixNodeDto(
    int Index,
    string Name,
    string Kind,
    bool IsOutput,
    string Op,
    string Formula,
    ValueDto Value,
    bool RequiresGrad,
    bool OnPath,
    IReadOnlyList<int> Inputs,
    ValueDto? Gradient,
    int Uses,
    int ForwardStep,
    BoxDto? Box);

/// <summary>
/// What one node u sends to one input v in the backward pass: the matrix-form rule and the scalar chain
/// rule it stands for, the diagonal of an elementwise op's Jacobian (or null), the rule's value, and
/// ∂L/∂v before and after it is added (<c>Use</c> of <c>Uses</c>; the last completes it).
/// </summary>
internal sealed record MatrixContributionDto(
    int Input,
    int InputIndex,
    string Rule,
    string ScalarRule,
    string? LocalRule,
    ValueDto? Local,
    ValueDto Contribution,
    ValueDto? Before,
    ValueDto After,
    int Use,
    int Uses);

/// <summary>One step of the page, as <see cref="StepDto"/>: <c>start</c>, <c>forward</c>, <c>seed</c>, <c>backward</c> (δ_u and what u sends) or <c>done</c>.</summary>
internal sealed record MatrixStepDto(int Index, string Phase, int? Node, ValueDto? Upstream, IReadOnlyList<MatrixContributionDto> Contributions);

/// <summary>∂L/∂x for one input with the entry-by-entry central difference and the largest relative error.</summary>
internal sealed record MatrixGradientDto(int Node, string Name, ValueDto Gradient, ValueDto? FiniteDifference, NumberDto MaxRelativeError, bool? Agrees);

/// <summary>One input's update x ← x − η ∂L/∂x.</summary>
internal sealed record MatrixUpdateDto(int Node, string Name, ValueDto Value, ValueDto Gradient, ValueDto NewValue);

/// <summary>The gradient-descent step: η, the updates, and the output before and after.</summary>
internal sealed record MatrixDescentDto(NumberDto LearningRate, IReadOnlyList<MatrixUpdateDto> Updates, NumberDto OutputBefore, NumberDto OutputAfter);

/// <summary>
/// The options of a matrix-form explanation: the target T as the <c>target</c> field takes it (a number,
/// or an array such as <c>[0.01,0.99]</c>; null for none), the loss on top of the output, and η.
/// </summary>
internal sealed record MatrixOptionsDto(string? Target, string Loss, double? LearningRate);

/// <summary>The whole answer of <c>/api/explain</c> for a program in matrix form.</summary>
internal sealed record MatrixExplainResponse(
    string Form,
    string Program,
    MatrixExampleDto? Example,
    IReadOnlyList<MatrixInputDto> Inputs,
    string At,
    MatrixOptionsDto Options,
    int Output,
    string OutputName,
    IReadOnlyList<MatrixNodeDto> Nodes,
    IReadOnlyList<EdgeDto> Edges,
    double Width,
    double Height,
    IReadOnlyList<MatrixStepDto> Steps,
    IReadOnlyList<MatrixGradientDto> Gradients,
    NumberDto LargestRuleDifference,
    MatrixDescentDto? Descent);
