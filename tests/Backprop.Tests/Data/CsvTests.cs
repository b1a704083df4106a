using Backprop.Data;

namespace Backprop.Tests.Data;

public class CsvTests
{
    private static (Tensor Features, Tensor Labels, string[] FeatureNames) ReadText(string text, string? labelColumn = null, bool? hasHeader = null, int skipRows = 0)
    {
        using var dir = new TempFolder();
        string path = dir.File("table.csv");
        File.WriteAllText(path, text);
        return Csv.Read(path, labelColumn, hasHeader, skipRows: skipRows);
    }

    private static InvalidDataException ReadError(string text, string? labelColumn = null) =>
        Assert.Throws<InvalidDataException>(() => ReadText(text, labelColumn));

    [Fact]
    public void HeaderIsDetectedAndLastColumnIsTheLabelByDefault()
    {
        var (x, y, names) = ReadText("sepal_length,sepal_width,species\n5.1,3.5,0\n\n4.9,3.0,1\r\n6.2,2.9,2\n");

        Assert.Equal(new[] { "sepal_length", "sepal_width" }, names);
        Assert.Equal(new[] { 3, 2 }, x.Shape);
        Assert.Equal(DType.Float32, x.DType);
        Assert.Equal(new[] { 5.1f, 3.5f, 4.9f, 3.0f, 6.2f, 2.9f }, x.ToArray<float>());
        Assert.Equal(DType.Int64, y.DType);
        Assert.Equal(new long[] { 0, 1, 2 }, y.ToArray<long>());
    }

    [Fact]
    public void NumericFirstRowIsData()
    {
        var (x, y, names) = ReadText("1,2,3\n4,5,6\n");

        Assert.Equal(new[] { "0", "1" }, names);
        Assert.Equal(new[] { 1f, 2f, 4f, 5f }, x.ToArray<float>());
        Assert.Equal(new long[] { 3, 6 }, y.ToArray<long>());
    }

    [Fact]
    public void LabelColumnIsChosenByNameOrIndex()
    {
        const string Text = "label,\"a\",b\n1,0.5,-2\n0,1e3,.25\n";
        var (x, y, names) = ReadText(Text, labelColumn: "label");
        var (x2, y2, _) = ReadText(Text, labelColumn: "0");
        var (_, y3, names3) = ReadText("5,1,0\n6,0,1\n", labelColumn: "-2");

        Assert.Equal(new[] { "a", "b" }, names);
        Assert.Equal(new[] { 0.5f, -2f, 1000f, 0.25f }, x.ToArray<float>());
        Assert.Equal(new long[] { 1, 0 }, y.ToArray<long>());
        Assert.Equal(x.ToArray<float>(), x2.ToArray<float>());
        Assert.Equal(y.ToArray<long>(), y2.ToArray<long>());
        Assert.Equal(new long[] { 1, 0 }, y3.ToArray<long>());
        Assert.Equal(new[] { "0", "2" }, names3);
        var ex = ReadError(Text, labelColumn: "target");
        Assert.Contains("label column 'target' not found", ex.Message);
        Assert.Contains("label, a, b", ex.Message);
    }

    [Fact]
    public void NonNumericCellErrorNamesLineAndColumn()
    {
        var ex = ReadError("width,height,class\n1,2,0\n\n3,abc,1\n");

        Assert.Contains("table.csv: line 4, column 2 ('height'): 'abc' is not a finite number", ex.Message);
        var noHeader = ReadError("1,2,0\n3,x,1\n");
        Assert.Contains("line 2, column 2: 'x' is not a finite number", noHeader.Message);
        Assert.Contains("line 2, column 1: 'NaN'", ReadError("1,2,0\nNaN,1,1\n").Message);
    }

    [Fact]
    public void RaggedRowErrorNamesLineAndCounts()
    {
        var ex = ReadError("a,b,c\n1,2,0\n1,2\n");

        Assert.Contains("line 3 has 2 columns, expected 3 (as line 1)", ex.Message);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("1e12")]
    public void LabelsMustBeNonNegativeIntegers(string label)
    {
        var ex = ReadError($"a,b,y\n1,2,0\n3,4,{label}\n");

        Assert.Contains($"line 3, column 3 ('y'): label '{label}' is not a non-negative integer", ex.Message);
    }

    [Fact]
    public void EmptyTablesAndUnclosedQuotesAreErrors()
    {
        Assert.Contains("no data rows", ReadError("a,b,c\n\n").Message);
        Assert.Contains("no data rows", ReadError(string.Empty).Message);
        Assert.Contains("line 2: the quote at character 3 is never closed", ReadError("a,b\n1,\"2\n").Message);
        Assert.Contains("at least one feature column", ReadError("1\n2\n").Message);
    }

    [Fact]
    public void SkipRowsAndForcedHeaderAreHonoured()
    {
        // scikit-learn's bundled CSVs start with a line of counts that is not a column header.
        var (x, y, names) = ReadText("3,2,setosa,versicolor\n5.1,3.5,0\n4.9,3.0,1\n7.0,3.2,1\n", skipRows: 1);
        var (x2, _, names2) = ReadText("10,20,1\n1,2,0\n", hasHeader: true);

        Assert.Equal(new[] { 3, 2 }, x.Shape);
        Assert.Equal(new long[] { 0, 1, 1 }, y.ToArray<long>());
        Assert.Equal(new[] { "0", "1" }, names);
        Assert.Equal(new[] { "10", "20" }, names2);
        Assert.Equal(new[] { 1f, 2f }, x2.ToArray<float>());
    }

    [Fact]
    public void GzipCompressedCsvIsRead()
    {
        using var dir = new TempFolder();
        string path = dir.File("t.csv.gz");
        File.WriteAllBytes(path, IdxBytes.Gzip("x,y\n0.5,1\n0.25,0\n"u8.ToArray()));

        var (x, y, names) = Csv.Read(path);

        Assert.Equal(new[] { "x" }, names);
        Assert.Equal(new[] { 0.5f, 0.25f }, x.ToArray<float>());
        Assert.Equal(new long[] { 1, 0 }, y.ToArray<long>());
    }
}
