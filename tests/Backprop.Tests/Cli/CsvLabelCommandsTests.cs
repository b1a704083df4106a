using System.Globalization;
using Backprop.Cli.Training;
using Backprop.Serialization;

namespace Backprop.Tests.Cli;

/// <summary>The README's Iris model, trained once by its own command, shared by the tests that use it.</summary>
public sealed class IrisModelFixture : IDisposable
{
    public IrisModelFixture()
    {
        string readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        string line = readme.Split('\n').Single(l => l.StartsWith("./backprop train ", StringComparison.Ordinal) && l.Contains("--label-column", StringComparison.Ordinal));
        Command = line.Split('#')[0].Trim();
        // As written, run from the repository root: the tests run elsewhere, so paths that exist there
        // are made absolute, and the README's --out folder becomes a temporary one.
        var args = Command.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(a => File.Exists(Path.Combine(Root, a)) ? Path.Combine(Root, a) : a).ToList();
        int outAt = args.IndexOf("--out");
        if (outAt >= 0)
        {
            args.RemoveRange(outAt, 2);
        }

        Run = CliRunner.Run([.. args, "--out", Folder]);
    }

    /// <summary>The repository root: the folder above the test binaries that holds Backprop.slnx.</summary>
    public static string Root { get; } = RepositoryRoot.Find();

    public static string IrisCsv => Path.Combine(Root, "data", "iris.csv");

    public string Command { get; }

    public (int ExitCode, string Stdout, string Stderr) Run { get; }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "backprop-iris-" + Guid.NewGuid().ToString("N"));

    public string ModelPath => Path.Combine(Folder, "model.safetensors");

    public void Dispose()
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }
}

/// <summary>CSV files with text labels (classes by name) and label columns that cannot be classes.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class CsvLabelCommandsTests : IClassFixture<IrisModelFixture>, IDisposable
{
    private static readonly string[] s_species = ["setosa", "versicolor", "virginica"];
    private readonly IrisModelFixture _iris;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "backprop-csvlabels-" + Guid.NewGuid().ToString("N"));

    public CsvLabelCommandsTests(IrisModelFixture iris)
    {
        _iris = iris;
        Directory.CreateDirectory(_folder);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static void AssertOneErrorLine(int code, string stdout, string stderr, string expected)
    {
        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.Contains(expected, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public void TheReadmeCommandTrainsOnTheShippedIrisFileAndKeepsTheClassNames()
    {
        Assert.Contains("--data data/iris.csv --label-column species", _iris.Command);
        Assert.True(_iris.Run.ExitCode == 0, _iris.Run.Stderr);
        double accuracy = double.Parse(Lines(_iris.Run.Stdout)[^1].Split(' ')[7], CultureInfo.InvariantCulture);
        Assert.True(accuracy >= 0.8, $"test accuracy {accuracy}");

        var (_, metadata) = SafeTensors.LoadWithMetadata(_iris.ModelPath);
        Assert.Equal("[\"setosa\",\"versicolor\",\"virginica\"]", metadata[ModelFile.ClassNamesKey]);
        Assert.Equal("species", metadata[ModelFile.LabelColumnKey]);
        Assert.Equal("3", metadata[ModelFile.ClassesKey]);
        Assert.Equal(150, File.ReadAllLines(IrisModelFixture.IrisCsv).Length - 1);
        Assert.True(File.Exists(Path.Combine(IrisModelFixture.Root, "data", "README.md")));
    }

    [Fact]
    public void EvalPrintsTheConfusionMatrixByClassName()
    {
        // No --data: the file the model names, read with its label column.
        var (code, stdout, stderr) = CliRunner.Run("eval", _iris.ModelPath);
        Assert.True(code == 0, stderr);
        var lines = Lines(stdout);
        Assert.Matches(@"^rows 150 accuracy 0\.\d{4} loss \d\.\d{4}$", lines[0]);
        Assert.Equal(s_species, lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1));
        for (int t = 0; t < 3; t++)
        {
            var cells = lines[3 + t].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(s_species[t], cells[0]);
            Assert.Equal(50, cells.Skip(1).Select(long.Parse).Sum());
        }

        // The per-class report (scikit-learn's classification_report) names the classes, 50 of each.
        int report = Array.FindIndex([.. lines], l => l.TrimStart().StartsWith("class", StringComparison.Ordinal));
        for (int t = 0; t < 3; t++)
        {
            var cells = lines[report + 1 + t].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(s_species[t], cells[0]);
            Assert.Equal("50", cells[^1]);
        }

        // A file holding one class only still numbers it as the model does (virginica is class 2, not 0).
        string virginica = Path.Combine(_folder, "virginica.csv");
        File.WriteAllLines(virginica, File.ReadAllLines(IrisModelFixture.IrisCsv).Where((l, i) => i == 0 || l.EndsWith(",virginica", StringComparison.Ordinal)));
        var (c2, out2, err2) = CliRunner.Run("eval", _iris.ModelPath, "--data", virginica);
        Assert.True(c2 == 0, err2);
        var rows = Lines(out2).Skip(3).Take(3).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).Sum()).ToArray();
        Assert.Equal(new long[] { 0, 0, 50 }, rows);
    }

    [Fact]
    public void PredictPrintsClassNamesForTheTrainingFileOrItsFeaturesAlone()
    {
        var (code, stdout, stderr) = CliRunner.Run("predict", _iris.ModelPath, "--input", IrisModelFixture.IrisCsv);
        Assert.True(code == 0, stderr);
        var lines = Lines(stdout);
        Assert.Equal("row,class,p_setosa,p_versicolor,p_virginica", lines[0]);
        Assert.Equal(151, lines.Length);
        var truth = File.ReadAllLines(IrisModelFixture.IrisCsv).Skip(1).Select(l => l.Split(',')[4]).ToArray();
        int correct = 0;
        for (int r = 0; r < 150; r++)
        {
            var cells = lines[r + 1].Split(',');
            var p = cells.Skip(2).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(1.0, p.Sum(), 1e-4);
            Assert.Equal(s_species[Array.IndexOf(p, p.Max())], cells[1]);
            correct += cells[1] == truth[r] ? 1 : 0;
        }

        Assert.True(correct >= 120, $"{correct} of 150 rows right");

        // The same rows without the label column, with and without the header, give the same answers.
        string features = Path.Combine(_folder, "features.csv"), bare = Path.Combine(_folder, "bare.csv");
        var featureLines = File.ReadAllLines(IrisModelFixture.IrisCsv).Select(l => l[..l.LastIndexOf(',')]).ToArray();
        File.WriteAllLines(features, featureLines);
        File.WriteAllLines(bare, featureLines.Skip(1));
        Assert.Equal(stdout, CliRunner.Run("predict", _iris.ModelPath, "--input", features).Stdout);
        Assert.Equal(stdout, CliRunner.Run("predict", _iris.ModelPath, "--input", bare).Stdout);
    }

    [Fact]
    public void EvalAndPredictRefuseColumnsThatAreNotTheModelsFeatures()
    {
        string swapped = Path.Combine(_folder, "swapped.csv");
        File.WriteAllText(swapped, "sepal_length,petal_length,sepal_width,petal_width,species\n5.1,1.4,3.5,0.2,setosa\n7.0,4.7,3.2,1.4,versicolor\n");
        var (c1, o1, e1) = CliRunner.Run("predict", _iris.ModelPath, "--input", swapped);
        AssertOneErrorLine(c1, o1, e1, "feature 2 is column 'petal_length' but the model was trained with 'sepal_width' as feature 2");
        var (c2, o2, e2) = CliRunner.Run("eval", _iris.ModelPath, "--data", swapped);
        AssertOneErrorLine(c2, o2, e2, "feature 2 is column 'petal_length'");

        // Without a header the label column cannot be told from a feature: say how to give it.
        string headerless = Path.Combine(_folder, "headerless.csv");
        File.WriteAllLines(headerless, File.ReadAllLines(IrisModelFixture.IrisCsv).Skip(1).Take(5).Select(l => l.Replace("setosa", "0", StringComparison.Ordinal)));
        var (c3, o3, e3) = CliRunner.Run("predict", _iris.ModelPath, "--input", headerless);
        AssertOneErrorLine(c3, o3, e3, "rows have 5 values but the model 4-16-3:relu expects 4 features (a label column is skipped only when a header row names it 'species')");

        // Class indices where the model has names: named, with the model's classes.
        string numeric = Path.Combine(_folder, "numeric.csv");
        File.WriteAllText(numeric, "sepal_length,sepal_width,petal_length,petal_width,species\n5.1,3.5,1.4,0.2,0\n");
        var (c4, o4, e4) = CliRunner.Run("eval", _iris.ModelPath, "--data", numeric);
        AssertOneErrorLine(c4, o4, e4, "label '0' is not one of the 3 classes 'setosa', 'versicolor', 'virginica'");
    }

    [Fact]
    public void AModelTrainedOnClassIndicesRefusesClassNamesAndKeepsPrintingIndices()
    {
        string csv = Path.Combine(_folder, "indices.csv");
        var g = new Generator(5);
        File.WriteAllLines(csv, ["x,y,label", .. Enumerable.Range(0, 90).Select(i => FormattableString.Invariant($"{(i % 3 * 2) + g.NextNormal() * 0.2},{g.NextNormal()},{new[] { 0, 2, 5 }[i % 3]}"))]);
        string run = Path.Combine(_folder, "run");
        var (code, _, stderr) = CliRunner.Run("train", "--data", csv, "--model", "2-8-6:relu", "--epochs", "2", "--out", run);
        Assert.True(code == 0, stderr);
        var (_, metadata) = SafeTensors.LoadWithMetadata(Path.Combine(run, "model.safetensors"));
        Assert.False(metadata.ContainsKey(ModelFile.ClassNamesKey));
        Assert.Equal("6", metadata[ModelFile.ClassesKey]); // labels 0, 2, 5 are class indices: 5 + 1 classes

        var (c2, o2, e2) = CliRunner.Run("eval", Path.Combine(run, "model.safetensors"));
        Assert.True(c2 == 0, e2);
        Assert.Equal(["0", "1", "2", "3", "4", "5"], Lines(o2)[2].Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1));

        string named = Path.Combine(_folder, "named.csv");
        File.WriteAllText(named, "x,y,label\n1,2,zero\n3,4,two\n");
        var (c3, o3, e3) = CliRunner.Run("eval", Path.Combine(run, "model.safetensors"), "--data", named);
        AssertOneErrorLine(c3, o3, e3, "holds class names ('two', 'zero') but the model was trained on numeric class indices 0 to 5");
    }

    /// <summary>Label columns of every kind that is no classification target, and the words each refusal must use.</summary>
    public static TheoryData<string, string[]> NotAClassificationTarget() => new()
    {
        // A price: integers up to 15,000 in 400 rows would make a 15,000-output model.
        { "price", ["column 3 ('price') cannot be a classification label", "its numbers go up to 15,", "so it would make 15,", "distinct values in 400 rows", "measurement or an id"] },
        // An id written as text: every row its own class.
        { "id", ["column 3 ('id') cannot be a classification label", "it has 400 distinct values in 400 rows", "at least 2 rows per class", "here at most 200 classes"] },
        // Names, 2 rows each, but more classes than any classifier here should have.
        { "town", ["column 3 ('town') cannot be a classification label", "it has 1,200 distinct values in 2,400 rows", "at most 1,000 classes"] },
        // Codes 3, 17 and 200 in 90 rows: as indices 201 classes, though only 3 distinct.
        { "code", ["column 3 ('code') cannot be a classification label", "201 classes (3 distinct values in 90 rows)", "renumber them 0, 1, 2"] },
        // A label of 2e9, which used to reach a shape error.
        { "huge", ["column 3 ('huge') cannot be a classification label", "2,000,000,001 classes"] },
        // A measurement with fractions.
        { "weight", ["column 3 ('weight'): label '3.5' is not a non-negative integer class index", "a number with a fraction is a measurement"] },
    };

    [Theory]
    [MemberData(nameof(NotAClassificationTarget))]
    public void ALabelColumnThatCannotBeClassesIsRefusedBeforeAModelIsBuilt(string column, string[] expected)
    {
        int rows = column switch { "town" => 2400, "code" => 90, "huge" => 40, "weight" => 50, _ => 400 };
        string csv = Path.Combine(_folder, column + ".csv");
        File.WriteAllLines(csv, [$"a,b,{column}", .. Enumerable.Range(0, rows).Select(i => FormattableString.Invariant($"{i % 7},{i % 11},{Label(column, i)}"))]);
        string run = Path.Combine(_folder, "run-" + column);
        var (code, stdout, stderr) = CliRunner.Run("train", "--data", csv, "--label-column", column, "--epochs", "1", "--out", run);

        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith($"train: {csv}: ", stderr);
        Assert.All(expected, e => Assert.Contains(e, stderr));
        Assert.False(File.Exists(Path.Combine(run, "model.safetensors")));
        Assert.False(File.Exists(Path.Combine(run, "checkpoint.safetensors")));
    }

    private static string Label(string column, int i) => column switch
    {
        "price" => (1000 + (i * 37)).ToString(CultureInfo.InvariantCulture),
        "id" => $"id{i:D4}",
        "town" => $"town{i / 2}",
        "code" => new[] { "3", "17", "200" }[i % 3],
        "huge" => i == 17 ? "2000000000" : (i % 2).ToString(CultureInfo.InvariantCulture),
        "weight" => i == 30 ? "3.5" : (i % 2).ToString(CultureInfo.InvariantCulture),
        _ => throw new ArgumentOutOfRangeException(nameof(column)),
    };

    [Fact]
    public void AModelFileWithoutTheNewMetadataStillEvaluatesAndPredicts()
    {
        // Written as backprop train wrote it before class names, label column and feature names were kept.
        string path = Path.Combine(_folder, "old.safetensors");
        var model = ModelDescription.Parse("2-8-2:relu").Build(new Generator(1));
        SafeTensors.Save(path, model.StateDict(), new Dictionary<string, string>
        {
            [ModelFile.SpecKey] = "2-8-2:relu",
            [ModelFile.ClassesKey] = "2",
            [ModelFile.DataKey] = "moons",
            [ModelFile.InputScaleKey] = "1",
        });
        var (code, stdout, stderr) = CliRunner.Run("eval", path);
        Assert.True(code == 0, stderr);
        Assert.Equal("true\\pred    0    1", Lines(stdout)[2].Trim());

        string input = Path.Combine(_folder, "rows.csv");
        File.WriteAllText(input, "u,v\n0.5,0.25\n-1,2\n");
        var (c2, o2, e2) = CliRunner.Run("predict", path, "--input", input);
        Assert.True(c2 == 0, e2);
        Assert.Equal("row,class,p0,p1", Lines(o2)[0]);
        Assert.Matches(@"^1,[01],0\.\d{6},0\.\d{6}$", Lines(o2)[2]);
    }
}
