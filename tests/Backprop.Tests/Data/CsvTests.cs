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

    private static CsvTable ReadTable(string text, string? labelColumn = null, IReadOnlyList<string>? classNames = null)
    {
        using var dir = new TempFolder();
        string path = dir.File("table.csv");
        File.WriteAllText(path, text);
        return Csv.ReadTable(path, labelColumn, classNames);
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

    [Fact]
    public void TextLabelsAreClassNamesNumberedInOrdinalOrder()
    {
        // As scikit-learn's LabelEncoder: classes sorted, each label its class's index; quoted names keep their commas.
        const string Text = "sepal,petal,species\n1,2,virginica\n3,4,setosa\n5,6,\"versi, color\"\n7,8,setosa\n9,10,Setosa\n";
        var table = ReadTable(Text, labelColumn: "species");
        var (_, labels, names) = ReadText(Text);

        Assert.Equal(new[] { "Setosa", "setosa", "versi, color", "virginica" }, table.ClassNames);
        Assert.Equal(new long[] { 3, 1, 2, 1, 0 }, table.Labels.ToArray<long>());
        Assert.Equal(4, table.Classes);
        Assert.Equal(new[] { "sepal", "petal" }, table.FeatureNames);
        Assert.Equal("species", table.LabelName);
        Assert.Equal("column 3 ('species')", table.LabelColumn);
        Assert.True(table.HasHeader);
        Assert.Equal(table.Labels.ToArray<long>(), labels.ToArray<long>());
        Assert.Equal(new[] { "sepal", "petal" }, names);
    }

    [Fact]
    public void NumericLabelsStayClassIndicesAndAnyTextMakesAllOfThemNames()
    {
        var sparse = ReadTable("a,y\n1,3\n2,100\n3,7\n4,3.0\n");
        var mixed = ReadTable("a,y\n1,10\n2,9\n3,nine\n4,9\n");

        Assert.Null(sparse.ClassNames);
        Assert.Equal(new long[] { 3, 100, 7, 3 }, sparse.Labels.ToArray<long>());
        Assert.Equal(101, sparse.Classes);
        Assert.Equal(3, sparse.DistinctLabels);
        Assert.Equal(new[] { "10", "9", "nine" }, mixed.ClassNames);
        Assert.Equal(new long[] { 0, 1, 2, 1 }, mixed.Labels.ToArray<long>());
    }

    [Fact]
    public void AFileWithoutAHeaderMayHaveTextLabels()
    {
        // Only the label cell of the first row is text: that is a data row, not a header.
        var table = ReadTable("5.1,3.5,setosa\n4.9,3.0,versicolor\n6.3,2.9,setosa\n");

        Assert.False(table.HasHeader);
        Assert.Equal(new[] { 3, 2 }, table.Features.Shape);
        Assert.Equal(new[] { "0", "1" }, table.FeatureNames);
        Assert.Equal(new[] { "setosa", "versicolor" }, table.ClassNames);
        Assert.Equal(new long[] { 0, 1, 0 }, table.Labels.ToArray<long>());
    }

    [Theory]
    [InlineData("0,1,label\n0.5,1,0\n2,3,1\n", null)]
    [InlineData("label,10,20\n1,0.5,1\n0,2,3\n", "0")]
    public void AHeaderWhoseFeatureNamesAreNumbersIsStillAHeader(string text, string? labelColumn)
    {
        var table = ReadTable(text, labelColumn);

        Assert.True(table.HasHeader);
        Assert.Equal("label", table.LabelName);
        Assert.Equal(new[] { 2, 2 }, table.Features.Shape);
        Assert.Equal(new[] { 0.5f, 1, 2, 3 }, table.Features.ToArray<float>());
        Assert.Null(table.ClassNames);
    }

    [Fact]
    public void GivenClassNamesNumberTheLabelsAndUnknownOnesAreNamed()
    {
        string[] classes = ["setosa", "versicolor", "virginica"];
        var onlyVirginica = ReadTable("a,species\n1,virginica\n2,virginica\n", classNames: classes);
        var ex = Assert.Throws<InvalidDataException>(() => ReadTable("a,species\n1,setosa\n2,rose\n", classNames: classes));
        var numeric = Assert.Throws<InvalidDataException>(() => ReadTable("a,species\n1,0\n2,2\n", classNames: classes));

        Assert.Equal(new long[] { 2, 2 }, onlyVirginica.Labels.ToArray<long>());
        Assert.Equal(classes, onlyVirginica.ClassNames);
        Assert.Contains("table.csv: line 3, column 2 ('species'): label 'rose' is not one of the 3 classes 'setosa', 'versicolor', 'virginica'", ex.Message);
        Assert.Contains("line 2, column 2 ('species'): label '0' is not one of the 3 classes", numeric.Message);
    }

    [Theory]
    [InlineData("3.5", "a number with a fraction is a measurement, not a class")]
    [InlineData("-2", "a classification label is a class name or a class index 0, 1, 2")]
    [InlineData("3e9", "class indices go up to 2147483647")]
    public void ANumericLabelThatIsNoClassIndexIsExplained(string label, string why)
    {
        var ex = ReadError($"a,b,price\n1,2,0\n3,4,1\n5,6,{label}\n7,8,{label}\n");

        Assert.Contains($"line 4, column 3 ('price'): label '{label}' is not a non-negative integer class index: {why}", ex.Message);
    }

    [Theory]
    [InlineData("", "the label is empty")]
    [InlineData("\"\"", "the label is empty")]
    [InlineData("NaN", "'NaN' is not a label")]
    [InlineData("-Infinity", "'-Infinity' is not a label")]
    public void EmptyOrNonFiniteLabelsAreErrorsEvenAmongNames(string label, string expected)
    {
        var ex = ReadError($"a,b,species\n1,2,setosa\n3,4,{label}\n");

        Assert.Contains($"line 3, column 3 ('species'): {expected}", ex.Message);
    }

    [Fact]
    public void ReadFeaturesSkipsANamedColumnOnlyWhenTheHeaderHasIt()
    {
        using var dir = new TempFolder();
        string withLabel = dir.File("with.csv"), headerless = dir.File("headerless.csv");
        File.WriteAllText(withLabel, "a,Species,b\n1,setosa,2\n3,virginica,4\n");
        File.WriteAllText(headerless, "1,2\n3,4\n");

        var (x, names, header) = Csv.ReadFeatures(withLabel, ignoreColumn: "species");
        var (x2, names2, header2) = Csv.ReadFeatures(headerless, ignoreColumn: "species");

        Assert.True(header);
        Assert.Equal(new[] { "a", "b" }, names);
        Assert.Equal(new[] { 1f, 2, 3, 4 }, x.ToArray<float>());
        Assert.False(header2);
        Assert.Equal(new[] { "0", "1" }, names2);
        Assert.Equal(new[] { 1f, 2, 3, 4 }, x2.ToArray<float>());
        Assert.Contains("line 2, column 2 ('Species'): 'setosa' is not a finite number", Assert.Throws<InvalidDataException>(() => Csv.ReadFeatures(withLabel)).Message);
    }
}
