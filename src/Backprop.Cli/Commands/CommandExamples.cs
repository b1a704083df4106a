namespace Backprop.Cli.Commands;

/// <summary>
/// The usage examples each command's --help ends with (before the exit codes): real command lines,
/// runnable as written from the repository root after <c>./backprop train --out runs/digits</c>.
/// </summary>
internal static class CommandExamples
{
    private static readonly Dictionary<string, string[]> s_examples = new(StringComparer.Ordinal)
    {
        ["backprop"] =
        [
            "backprop train                                   train the default MLP on the digits",
            "backprop explain --example mazur                 backpropagation on the 2-2-2 network, step by step",
            "backprop <command> --help                        a command's options and examples",
        ],
        ["train"] =
        [
            "backprop train --out runs/digits                 the default MLP on the embedded digits",
            "backprop train --data fashion-mnist --model cnn --out runs/fashion-cnn",
            "backprop train --data data/iris.csv --label-column species --model 4-16-3:relu --lr 0.01",
            "backprop train --resume runs/digits/checkpoint.safetensors --epochs 40",
            "backprop train --epochs 2 --format json          one JSON line per epoch on stdout",
            "backprop train --schedule onecycle --lr 0.01 --epochs 10   OneCycleLR, stepped per batch",
            "backprop train --patience 3 --accumulate 4       early stopping keeping the best model; 4 batches per step",
        ],
        ["lr-find"] =
        [
            "backprop lr-find --out runs/lr-find              the default MLP on the digits: lr-find.png, lr-find.csv, a suggested --lr",
            "backprop lr-find --optimizer sgd --start-lr 1e-5 --end-lr 1 --steps 80",
        ],
        ["eval"] =
        [
            "backprop eval runs/digits/model.safetensors",
            "backprop eval runs/digits/model.safetensors --format json",
            "backprop eval weights.safetensors --data digits --model 64-128-10:relu   weights saved from PyTorch",
        ],
        ["predict"] =
        [
            "backprop predict runs/iris/model.safetensors --input data/iris.csv",
        ],
        ["inspect"] =
        [
            "backprop inspect runs/digits/model.safetensors",
            "backprop inspect runs/digits/checkpoint.safetensors --format json",
        ],
        ["export"] =
        [
            "backprop export runs/digits/model.safetensors --onnx runs/digits/model.onnx",
            "backprop export runs/digits/model.safetensors --onnx runs/digits/raw.onnx --scale-input",
        ],
        ["gradcheck"] =
        [
            "backprop gradcheck                               every op",
            "backprop gradcheck --op tanh --format json",
        ],
        ["bench"] =
        [
            "backprop bench mlp --epochs 3                    compare with PyTorch's line format",
            "backprop bench sgemm --threads 1",
            "backprop bench infer --model mlp --batch 1,256   forward time per call; ./backprop bench infer adds ONNX Runtime's",
        ],
        ["explain"] =
        [
            "backprop explain \"g = -2*w1; y = w2 + g; z = y*w3\" --at w1=3,w2=4,w3=5",
            "backprop explain --example mazur --step",
            "backprop explain \"h = sigmoid(W @ x + b); L = sum((h - t)^2)\" --at \"W=[[0.1,0.2],[0.3,0.4]],x=[1,2],b=[0,0],t=[0,1]\"",
            "backprop explain --example mazur-matrix          the same network in matrix form, same numbers",
        ],
        ["graph"] =
        [
            "backprop graph --model 2-2-2:sigmoid             graph.svg and graph.dot",
        ],
        ["vanishing"] =
        [
            "backprop vanishing --depth 10 --activation sigmoid",
        ],
        ["serve"] =
        [
            "backprop serve                                   the explainer at http://127.0.0.1:8017/explain, the playground at /playground",
            "backprop serve --port 0                          any free port",
        ],
    };

    /// <summary>The commands that have examples (a test checks every command is among them).</summary>
    public static IReadOnlyCollection<string> Commands => s_examples.Keys;

    /// <summary>The "Examples:" block for <paramref name="command"/>, or nothing for a command without examples.</summary>
    public static IEnumerable<string> HelpLines(string command)
    {
        if (!s_examples.TryGetValue(command, out var examples))
        {
            yield break;
        }

        yield return "Examples:";
        foreach (string example in examples)
        {
            yield return "  " + example;
        }

        yield return "";
    }
}
