using System.Text;
using Backprop.Data;
using Backprop.Tests.Data;

namespace Backprop.Tests.Fuzz;

public sealed class CsvFuzzTests : IDisposable
{
    private static readonly string[] s_seeds =
    [
        "x,y,label\n0.5,1,0\n-2,3e2,1\n4,5,2\n",
        "1,2,3,0\n4,5,6,1\n\n7,8,9,1\n",
        "\"a\",\"b \"\"q\"\"\",class\n1.25,-0.5,3\n\"2\",\" 7 \",0\n",
        "f0;f1;y\n1;2;0\n3;4;1\n",
        "# comment\nh1,h2\n1,0\n2,1\n",
        "sepal,petal,species\n5.1,1.4,setosa\n\"6.3\",4.9,virginica\n5.0,1.5,\"set\"\"osa\"\n",
        "5.1,3.5,setosa\n4.9,3.0,versicolor\n",
    ];

    private static readonly string[] s_tokens =
    [
        ",", ";", "\"", "\"\"", "\n", "\r\n", " ", "-", "e", ".", "1e400", "1e39", "-1e39", "3.4028236e38", "NaN", "Infinity", "-0",
        "2147483648", "1.5", "-1", "\u00e9", "\uFEFF", "\0", ",,", "\"x\"y", "9999999999999999999999", "setosa", "species",
    ];

    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static void Check(Tensor features, Tensor labels, string[] names)
    {
        Assert.Equal(2, features.Rank);
        Assert.Equal(features.Size(0), labels.Size(0));
        Assert.Equal(features.Size(1), names.Length);
        Assert.All(features.ToArray<float>(), v => Assert.True(float.IsFinite(v), $"feature {v} is not finite"));
        Assert.All(labels.ToArray<long>(), v => Assert.InRange(v, 0, int.MaxValue));
    }

    /// <summary>Text labels: distinct names in ordinal order, and every label indexes one of them.</summary>
    private static void CheckClassNames(CsvTable table)
    {
        if (table.ClassNames is { } names)
        {
            Assert.Equal(names.Order(StringComparer.Ordinal).Distinct(), names);
            Assert.All(table.Labels.ToArray<long>(), v => Assert.InRange(v, 0, names.Length - 1));
        }
    }

    private static bool Clear(string message, string source) =>
        message.StartsWith(source + ": ", StringComparison.Ordinal) && message.Length > source.Length + 10;

    [Fact]
    public async Task MutatedTablesLoadOrThrowInvalidDataException()
    {
        int cases = Fuzzing.Cases(15_000), loaded = 0;
        string?[] labelColumns = [null, null, "0", "-1", "label", "y", "CLASS", "7", "-9", "x"];
        await Fuzzing.WithinTime(() =>
        {
            var rng = new Random(2801);
            for (int i = 0; i < cases; i++)
            {
                string seed = s_seeds[rng.Next(s_seeds.Length)];
                string text = Fuzzing.MutateText(seed, rng, s_tokens);
                string? labelColumn = labelColumns[rng.Next(labelColumns.Length)];
                char delimiter = seed.Contains(';') && rng.Next(4) != 0 ? ';' : ',';
                bool? header = rng.Next(3) switch { 0 => null, 1 => true, _ => false };
                int skip = seed.StartsWith('#') ? 1 : rng.Next(3) == 0 ? rng.Next(3) : 0;
                byte[] bytes = Encoding.UTF8.GetBytes(text);
                bool ok = Fuzzing.LoadsOrThrows<InvalidDataException>(
                    () =>
                    {
                        var table = Csv.ReadTable(new MemoryStream(bytes), "fuzz.csv", labelColumn, null, header, delimiter, skip);
                        Check(table.Features, table.Labels, table.FeatureNames);
                        CheckClassNames(table);
                    },
                    m => Clear(m, "fuzz.csv"),
                    i,
                    () => $"label={labelColumn ?? "null"} header={header} delimiter='{delimiter}' skip={skip} text={System.Text.Json.JsonSerializer.Serialize(text)}");
                loaded += ok ? 1 : 0;
            }
        });

        Assert.InRange(loaded, 1, cases - 1);
    }

    [Theory]
    [InlineData("1e39")]
    [InlineData("-3.5e38")]
    public void AFeaturePastTheFloat32RangeIsRejected(string value)
    {
        // Found by MutatedTablesLoadOrThrowInvalidDataException: it used to load as ±Inf.
        var ex = Assert.Throws<InvalidDataException>(() => Csv.Read(new MemoryStream(Encoding.UTF8.GetBytes($"a,y\n1,0\n{value},1\n")), "t.csv"));
        Assert.Equal($"t.csv: line 3, column 1 ('a'): '{value}' is outside the float32 range (±3.4e38)", ex.Message);
    }

    [Fact]
    public void CorruptGzipIsNamedByFile()
    {
        // Found by MutatedGzipFilesOnDiskLoadOrThrowInvalidDataException: the message did not say which file.
        string path = _dir.File("bad.csv.gz");
        byte[] gz = IdxBytes.Gzip(Encoding.UTF8.GetBytes(s_seeds[0]));
        gz[2] = 0x07; // compression method: not deflate
        File.WriteAllBytes(path, gz);
        Assert.StartsWith($"{path}: corrupt gzip data: ", Assert.Throws<InvalidDataException>(() => Csv.Read(path)).Message);
        Assert.StartsWith($"{path}: corrupt gzip data: ", Assert.Throws<InvalidDataException>(() => Csv.ReadFeatures(path)).Message);
    }

    [Fact]
    public async Task RandomBytesAreRejectedOrLoaded()
    {
        int cases = Fuzzing.Cases(5_000);
        byte[] alphabet = Encoding.UTF8.GetBytes("0123456789.,;-+eE\"\n\r \t");
        await Fuzzing.WithinTime(() =>
        {
            var rng = new Random(2802);
            for (int i = 0; i < cases; i++)
            {
                var bytes = new byte[rng.Next(0, 80)];
                for (int k = 0; k < bytes.Length; k++)
                {
                    bytes[k] = rng.Next(8) == 0 ? (byte)rng.Next(256) : alphabet[rng.Next(alphabet.Length)];
                }

                Fuzzing.LoadsOrThrows<InvalidDataException>(
                    () =>
                    {
                        var (f, l, n) = Csv.Read(new MemoryStream(bytes), "random.csv");
                        Check(f, l, n);
                    },
                    m => Clear(m, "random.csv"),
                    i,
                    () => Convert.ToHexString(bytes));
            }
        });
    }

    [Fact]
    public async Task MutatedGzipFilesOnDiskLoadOrThrowInvalidDataException()
    {
        int cases = Fuzzing.Cases(300);
        string path = _dir.File("fuzz.csv.gz");
        await Fuzzing.WithinTime(() =>
        {
            var rng = new Random(2803);
            for (int i = 0; i < cases; i++)
            {
                byte[] gz = IdxBytes.Gzip(Encoding.UTF8.GetBytes(s_seeds[rng.Next(2)]));
                byte[] file = Fuzzing.MutateBytes(gz, rng, hot: 0, [0x00, 0x1F, 0x8B, 0xFF]);
                File.WriteAllBytes(path, file);
                Fuzzing.LoadsOrThrows<InvalidDataException>(
                    () =>
                    {
                        var (f, l, n) = Csv.Read(path);
                        Check(f, l, n);
                    },
                    m => Clear(m, path),
                    i,
                    () => Convert.ToHexString(file));
            }
        });
    }
}
