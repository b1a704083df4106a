using System.CommandLine;
using System.Globalization;
using System.Text;
using Backprop.Explain;
using Backprop.NN;
using Backprop.Visualization;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>backprop graph "z = x*y" --at x=2,y=3</c> or <c>backprop graph --model 2-2-2:sigmoid</c>: draws
/// the computational graph (each node with its op, value and gradient) as SVG, laid out by the
/// project itself, and as Graphviz DOT beside it.
/// </summary>
internal static class GraphCommand
{
    /// <summary>
    /// Most nodes a drawing may have. The layout is near linear and would draw more within seconds,
    /// but a drawing is for reading: 2,000 nodes already make an SVG hundreds of thousands of pixels
    /// wide, and explain shows a program of any size as text.
    /// </summary>
    internal const int MaxNodes = 2_000;

    /// <summary>Most edges a drawing may have (twice <see cref="MaxNodes"/>: an op has at most two inputs in explain's language).</summary>
    internal const int MaxEdges = 2 * MaxNodes;

    public static Command Create()
    {
        var program = new Argument<string?>("PROGRAM") { Description = "An explain program, e.g. \"g = -2*w1; y = w2 + g; z = y*w3\".", Arity = ArgumentArity.ZeroOrOne };
        var at = new Option<string?>("--at") { Description = "Input values for PROGRAM: NAME=NUMBER,..." };
        var example = new Option<string?>("--example") { Description = $"Draw a worked example: {string.Join(", ", WorkedExamples.Names)}." };
        var model = new Option<string?>("--model") { Description = "Draw one training step (forward, cross-entropy, backward) of an MLP spec such as 2-2-2:sigmoid." };
        var batchSize = new Option<int>("--batch-size") { Description = "Samples in the --model batch (random normal inputs and labels).", DefaultValueFactory = _ => 1 };
        var seed = new Option<long>("--seed") { Description = "Seed of the --model weights and batch.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "The SVG file to write; the DOT file goes beside it with the extension .dot.", DefaultValueFactory = _ => "graph.svg" };
        var command = new Command(
            "graph",
            string.Create(CultureInfo.InvariantCulture, $"Draw a computational graph with every node's op, value and gradient, as SVG and DOT. Drawings are limited to {MaxNodes:N0} nodes and {MaxEdges:N0} edges; explain shows larger programs as text."))
        {
            program, at, example, model, batchSize, seed, output,
        };
        command.SetAction(result => CommandRunner.Run("graph", () =>
        {
            int sources = (result.GetValue(program) is null ? 0 : 1) + (result.GetValue(example) is null ? 0 : 1) + (result.GetValue(model) is null ? 0 : 1);
            if (sources != 1)
            {
                throw new ArgumentException("give exactly one of PROGRAM (with --at), --example NAME or --model SPEC");
            }

            ComputationGraph graph;
            if (result.GetValue(model) is string spec)
            {
                graph = ModelStep(spec, result.GetValue(batchSize), result.GetValue(seed));
                RefuseIfTooLarge(graph, "the model's training step", "draw a model with fewer layers");
            }
            else
            {
                string source;
                List<KeyValuePair<string, double>> values;
                if (result.GetValue(example) is string name)
                {
                    var worked = WorkedExamples.Get(name);
                    (source, values) = (worked.Program, worked.Inputs.ToList());
                }
                else
                {
                    (source, values) = (result.GetValue(program)!, ExplainArguments.ParseAt(result.GetValue(at)));
                }

                var parsed = ExplainProgram.Parse(source);
                var expressions = ExpressionGraph.Build(parsed, values);
                graph = ExpressionGraphDrawing.Create(expressions, expressions.Backward());
                RefuseIfTooLarge(graph, "the program", "explain shows programs of any size");
            }

            string svgPath = Path.GetFullPath(result.GetValue(output)!);
            string dotPath = Path.ChangeExtension(svgPath, ".dot");
            if (dotPath == svgPath)
            {
                throw new ArgumentException($"--out {svgPath}: name the SVG file with an extension other than .dot");
            }

            WriteAtomically(svgPath, SvgWriter.ToSvg(LayeredLayout.Compute(graph)));
            WriteAtomically(dotPath, DotWriter.ToDot(graph));
            Console.WriteLine($"wrote {svgPath} and {dotPath} ({graph.Nodes.Count} nodes, {graph.Edges.Count} edges)");
            return 0;
        }));
        return command;
    }

    private static void RefuseIfTooLarge(ComputationGraph graph, string what, string instead)
    {
        int nodes = graph.Nodes.Count, edges = graph.Edges.Count;
        if (nodes > MaxNodes || edges > MaxEdges)
        {
            throw new ArgumentException(string.Create(
                CultureInfo.InvariantCulture,
                $"{what} has {nodes:N0} nodes and {edges:N0} edges; drawings are limited to {MaxNodes:N0} nodes and {MaxEdges:N0} edges ({instead})"));
        }
    }

    /// <summary>The graph of one training step: forward, cross-entropy on a random batch, backward.</summary>
    private static ComputationGraph ModelStep(string specText, int batchSize, long seed)
    {
        if (batchSize < 1)
        {
            throw new ArgumentException($"--batch-size must be at least 1, got {batchSize}");
        }

        var spec = ModelSpec.Parse(specText);
        var network = spec.Build(new Generator(seed), new Generator(seed + 1));
        var batch = new Generator(seed + 2);
        var x = Tensor.Randn([batchSize, spec.InFeatures], batch);
        var y = Tensor.RandInt(0, spec.OutFeatures, [batchSize], batch);
        var loss = Tensor.CrossEntropy(network.Forward(x), y);
        var names = network.NamedParameters().Select(p => (p.Name, p.Parameter)).Append(("input", x)).Append(("target", y)).Append(("loss", loss));
        var capture = TensorGraphCapture.Capture(loss, names);
        loss.Backward();
        return capture.ToGraph();
    }

    private static void WriteAtomically(string path, string text)
    {
        string folder = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"--out: the folder {folder} does not exist");
        }

        string tmp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllText(tmp, text, new UTF8Encoding(false));
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            File.Delete(tmp);
        }
    }
}
