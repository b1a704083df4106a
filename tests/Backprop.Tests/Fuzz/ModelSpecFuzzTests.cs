using Backprop.Cli.Training;
using Backprop.NN;
using Backprop.Serialization;
using Backprop.Tests.Data;

namespace Backprop.Tests.Fuzz;

public sealed class ModelSpecFuzzTests : IDisposable
{
    private static readonly string[] s_seeds = ["784-256-128-10:relu", "64-512-256-10:relu:dropout=0.2", "2-3:tanh", "5-4-3-2-1:gelu:dropout=0.5", "mlp", "16-8-4:relu:bn:dropout=0.1", "8-8:leaky_relu"];

    private static readonly string[] s_tokens =
    [
        "-", ":", "=", "dropout=", "relu", "sigmoid", "gelu", "leaky_relu", "tanh", "mlp", "0", "1", "-1", "0.9999999", "1e-300", "NaN", "Infinity",
        "2147483647", "2147483648", "99999999999", "100000", "\u0661", " ", "\t", "+1", "1.0", "0x10", ":dropout=1", "::", ":bn", "bn",
    ];

    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static bool Clear(string message) =>
        (message.StartsWith("model spec '", StringComparison.Ordinal) || message.StartsWith("model 'mlp'", StringComparison.Ordinal)) && message.Length > 25;

    /// <summary>What a parsed spec must satisfy: it prints to text that parses back to itself, and a small one builds.</summary>
    private static void CheckParsed(ModelSpec spec, int? inFeatures, int? classes)
    {
        string text = spec.ToString();
        Assert.Equal(text, ModelSpec.Parse(text).ToString());
        Assert.All(spec.Sizes, s => Assert.True(s > 0));
        Assert.True(spec.Dropout is >= 0 and < 1, $"dropout {spec.Dropout}");
        Assert.True(inFeatures is null || spec.InFeatures == inFeatures);
        Assert.True(classes is null || spec.OutFeatures >= classes);
        long parameters = 0;
        for (int i = 0; i + 1 < spec.Sizes.Length; i++)
        {
            parameters += ((long)spec.Sizes[i] * spec.Sizes[i + 1]) + spec.Sizes[i + 1];
            if (spec.BatchNorm && i + 2 < spec.Sizes.Length)
            {
                parameters += 2L * spec.Sizes[i + 1];
            }
        }

        if (parameters < 200_000)
        {
            var model = spec.Build(new Generator(0));
            Assert.Equal(parameters, model.NumParameters());
            Assert.Equal(model.StateDict().Values.Sum(t => (long)t.Numel), spec.NumStateElements);
        }
    }

    [Fact]
    public async Task MutatedAndRandomSpecsParseOrThrowArgumentException()
    {
        int cases = Fuzzing.Cases(30_000), parsed = 0;
        await Fuzzing.WithinTime(() =>
        {
            var rng = new Random(3301);
            for (int i = 0; i < cases; i++)
            {
                string text = rng.Next(4) == 0
                    ? Fuzzing.RandomText(rng, "0123456789-:=.relusigmodtanhpxe ", 24)
                    : Fuzzing.MutateText(s_seeds[rng.Next(s_seeds.Length)], rng, s_tokens);
                int? inFeatures = rng.Next(3) == 0 ? rng.Next(1, 1000) : null;
                int? classes = inFeatures is not null || rng.Next(3) == 0 ? rng.Next(1, 20) : null;
                bool ok = Fuzzing.LoadsOrThrows<ArgumentException>(
                    () => CheckParsed(ModelSpec.Parse(text, inFeatures, classes), inFeatures, classes),
                    Clear,
                    i,
                    () => $"'{text}' in={inFeatures} classes={classes}");
                parsed += ok ? 1 : 0;
            }
        });

        Assert.InRange(parsed, 1, cases - 1);
    }

    /// <summary>A model file written by train, its spec metadata replaced by <paramref name="spec"/>.</summary>
    private string ModelFileWithSpec(string name, string spec, Dictionary<string, Tensor> weights)
    {
        string path = _dir.File(name);
        SafeTensors.Save(path, weights, new Dictionary<string, string>
        {
            [ModelFile.SpecKey] = spec,
            [ModelFile.ClassesKey] = "3",
            [ModelFile.DataKey] = "fuzz",
            [ModelFile.InputScaleKey] = "1",
        });
        return path;
    }

    [Fact]
    public async Task ModelFilesWithMutatedSpecsLoadOrThrowInvalidDataException()
    {
        // The spec in a model file's metadata says what to allocate: a small file must not make the
        // loader build a huge network before it finds out the weights do not fit.
        var weights = ModelSpec.Parse("6-5-3:tanh").Build(new Generator(1)).StateDict();
        int cases = Fuzzing.Cases(1_500), loaded = 0;
        await Fuzzing.WithinTime(() =>
        {
            var rng = new Random(3302);
            for (int i = 0; i < cases; i++)
            {
                string spec = Fuzzing.MutateText(rng.Next(3) == 0 ? "6-5-3:tanh" : s_seeds[rng.Next(s_seeds.Length)], rng, s_tokens);
                string path = ModelFileWithSpec("m.safetensors", spec, weights);
                long before = GC.GetAllocatedBytesForCurrentThread();
                bool ok = Fuzzing.LoadsOrThrows<InvalidDataException>(
                    () => ModelFile.Load(path),
                    m => m.StartsWith(path + ": ", StringComparison.Ordinal),
                    i,
                    () => $"spec '{spec}'");
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(allocated < 16 << 20, $"case {i}: spec '{spec}' made the loader allocate {allocated:N0} bytes for a {new FileInfo(path).Length}-byte file");
                loaded += ok ? 1 : 0;
            }
        });

        Assert.InRange(loaded, 1, cases - 1);
    }

    [Theory]
    [InlineData("100000-100000-3:relu")]
    [InlineData("2147483647-2147483647")]
    [InlineData("6-46341-46341-3")]
    [InlineData("2147483647-2147483647-2147483647-2147483647-2147483647")]
    public void AModelFileClaimingAHugeNetworkIsRejectedBeforeBuildingIt(string spec)
    {
        var weights = ModelSpec.Parse("6-5-3:tanh").Build(new Generator(1)).StateDict();
        string path = ModelFileWithSpec("huge.safetensors", spec, weights);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20);
        Assert.StartsWith($"{path}: the weights do not fit the model {spec}", ex.Message);
    }
}
