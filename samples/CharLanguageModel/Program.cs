// A character-level language model: Embedding → GRU → Linear predicts each next character of a
// text the sample ships (corpus.txt, two short tales written for it). Training unrolls the GRU over
// windows of 64 characters and back-propagates through time; sampling then feeds the model its own
// output one character at a time, carrying the hidden state from step to step.
//
// Run: dotnet run -c Release --project samples/CharLanguageModel [-- STEPS [TEMPERATURE]]
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Backprop;
using Backprop.NN;
using Backprop.Optim;
using Backprop.Samples;

SampleArgs.ReportErrorsAsOneLine("CharLanguageModel");
int steps = SampleArgs.Int(args, 0, "STEPS", 400);
double temperature = SampleArgs.Positive(args, 1, "TEMPERATURE", 0.6);
const int window = 64, batch = 32;

string text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "corpus.txt")).ReplaceLineEndings("\n");
char[] vocabulary = [.. text.Distinct().Order()];
var indexOf = vocabulary.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => (long)p.i);
long[] ids = [.. text.Select(c => indexOf[c])];
Console.WriteLine($"{text.Length} characters, vocabulary of {vocabulary.Length}");

var generator = new Generator(0);
var model = new CharModel(vocabulary.Length, embedding: 32, hidden: 192, generator);
var optimizer = new Adam(model.Parameters(), lr: 3e-3);
Console.WriteLine(model);

var clock = Stopwatch.StartNew();
double smoothed = Math.Log(vocabulary.Length);
for (int step = 1; step <= steps; step++)
{
    // A batch of random windows: inputs are characters i … i+63, targets i+1 … i+64.
    var inputs = new long[batch * window];
    var targets = new long[batch * window];
    for (int b = 0; b < batch; b++)
    {
        int start = (int)generator.NextInt64(ids.Length - window - 1);
        Array.Copy(ids, start, inputs, b * window, window);
        Array.Copy(ids, start + 1, targets, b * window, window);
    }

    var (logits, _) = model.Forward(Tensor.FromArray(inputs, batch, window), null);
    var loss = F.CrossEntropy(logits.Reshape(batch * window, vocabulary.Length), Tensor.FromArray(targets, batch * window));
    optimizer.ZeroGrad();
    loss.Backward();
    ClipGrad.ClipGradNorm(model.Parameters(), maxNorm: 1.0);
    optimizer.Step();

    smoothed = (0.95 * smoothed) + (0.05 * loss.Item());
    if (step % 100 == 0 || step == 1)
    {
        Console.WriteLine($"step {step,4}: loss {smoothed:F3} nats/char ({clock.Elapsed.TotalSeconds:F0} s)");
    }
}

Console.WriteLine();
Console.WriteLine(Sample(model, "The ", 500));

// Feeds the prompt, then draws each next character from softmax(logits / temperature).
string Sample(CharModel model, string prompt, int length)
{
    var output = new StringBuilder(prompt);
    using (Autograd.NoGrad())
    {
        var (logits, state) = model.Forward(Tensor.FromArray(prompt.Select(c => indexOf[c]).ToArray(), 1, prompt.Length), null);
        var last = logits[0, ^1];
        for (int i = 0; i < length; i++)
        {
            var probabilities = (last / temperature).Softmax(0).ToArray();
            double u = generator.NextDouble(), cumulative = 0;
            int next = probabilities.Length - 1;
            for (int k = 0; k < probabilities.Length; k++)
            {
                cumulative += probabilities[k];
                if (u < cumulative)
                {
                    next = k;
                    break;
                }
            }

            output.Append(vocabulary[next]);
            (logits, state) = model.Forward(Tensor.FromArray(new long[] { next }, 1, 1), state);
            last = logits[0, 0];
        }
    }

    return output.ToString();
}

/// <summary>Characters (batch, steps) → embeddings → GRU → next-character logits (batch, steps, vocabulary).</summary>
internal sealed class CharModel(int vocabulary, int embedding, int hidden, Generator generator) : Module
{
    public Embedding Embed { get; } = new(vocabulary, embedding, generator: generator);

    public GRU Gru { get; } = new(embedding, hidden, batchFirst: true, generator: generator);

    public Linear Head { get; } = new(hidden, vocabulary, generator: generator);

    public override Tensor Forward(Tensor input) => Forward(input, null).Logits;

    /// <summary>Logits for every position and the GRU state after the last one, to continue from.</summary>
    public (Tensor Logits, Tensor State) Forward(Tensor input, Tensor? state)
    {
        var (output, h) = Gru.Forward(Embed.Forward(input), state);
        return (Head.Forward(output), h);
    }
}
