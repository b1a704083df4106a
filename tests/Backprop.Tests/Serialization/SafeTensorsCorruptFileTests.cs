using System.Text;
using Backprop.Serialization;

namespace Backprop.Tests.Serialization;

public sealed class SafeTensorsCorruptFileTests : IDisposable
{
    private const string A8 = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private InvalidDataException LoadFails(byte[] file)
    {
        string path = _dir.File("bad.safetensors");
        File.WriteAllBytes(path, file);
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.StartsWith(path + ": invalid safetensors file: ", ex.Message);

        // The header-only path applies the same checks.
        var inspect = Assert.Throws<InvalidDataException>(() => SafeTensors.Inspect(path));
        Assert.Equal(ex.Message, inspect.Message);
        return ex;
    }

    private static byte[] Json(string header, int dataBytes) => SafeTensorsFiles.Build(header, new byte[dataBytes]);

    [Fact]
    public void ShorterThanEightBytes()
    {
        Assert.Contains("the file is 5 bytes, shorter than the 8-byte header length field", LoadFails(new byte[5]).Message);
        Assert.Contains("the file is 0 bytes", LoadFails([]).Message);
    }

    [Fact]
    public void HeaderLengthPastTheEnd()
    {
        byte[] file = [.. SafeTensorsFiles.Length(100), .. Encoding.UTF8.GetBytes("{}        ")];
        Assert.Contains("header length 100 (bytes 0-7) runs past the end of the file: 8 + 100 > file length 18", LoadFails(file).Message);
    }

    [Fact]
    public void HeaderLengthOverOneHundredMegabytes()
    {
        byte[] file = [.. SafeTensorsFiles.Length(100_000_001), .. Encoding.UTF8.GetBytes("{}")];
        Assert.Contains("header length 100000001 (bytes 0-7) exceeds the limit of 100000000 bytes", LoadFails(file).Message);
    }

    [Fact]
    public void HeaderLengthThatWouldOverflow()
    {
        byte[] file = [.. Enumerable.Repeat((byte)0xFF, 8), .. Encoding.UTF8.GetBytes("{}")];
        Assert.Contains($"header length {ulong.MaxValue} (bytes 0-7) exceeds the limit", LoadFails(file).Message);
    }

    [Fact]
    public void HeaderNotUtf8()
    {
        byte[] header = [.. Encoding.UTF8.GetBytes("{\"a"), 0xFF, .. Encoding.UTF8.GetBytes("\":{}}")];
        Assert.Contains("not valid UTF-8 (first bad byte at file offset 11)", LoadFails(SafeTensorsFiles.Build(header, [])).Message);
    }

    [Theory]
    [InlineData("[1, 2]", "must be a JSON object starting with '{' at file offset 8, found byte 0x5B")]
    [InlineData(" {}", "found byte 0x20")]
    [InlineData("", "found an empty header")]
    [InlineData("{not json}", "the header is not valid JSON")]
    [InlineData("{\"a\":{\"dtype\":\"F32\"", "the header is not valid JSON")]
    [InlineData("{\"a\":{}}", "tensor 'a' has no 'dtype' field")]
    [InlineData("{} {}", "the header is not valid JSON")]
    [InlineData("{\"a\":1}", "tensor 'a' must be an object with dtype, shape and data_offsets, found Number")]
    [InlineData("{" + A8 + ",}", "the header is not valid JSON")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[[2]],\"data_offsets\":[0,8]}}", "shape dimension 0 must be a non-negative integer, found StartArray")]
    public void HeaderNotAJsonObject(string header, string expected)
    {
        Assert.Contains(expected, LoadFails(Json(header, 8)).Message);
    }

    [Fact]
    public void DuplicateTensorNames()
    {
        string header = "{" + A8 + "," + A8.Replace("[0,8]", "[8,16]") + "}";
        Assert.Contains("duplicate tensor name 'a' at file offset", LoadFails(Json(header, 16)).Message);

        // An escaped spelling of the same name is the same name.
        string escaped = "{" + A8 + "," + A8.Replace("\"a\"", "\"\\u0061\"").Replace("[0,8]", "[8,16]") + "}";
        Assert.Contains("duplicate tensor name 'a'", LoadFails(Json(escaped, 16)).Message);
    }

    [Theory]
    [InlineData("{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 9)]
    [InlineData("{\"__metadata__\":{\"k\":\"\\udc00\"}}", 29)]
    [InlineData("{\"a\":{\"dtype\":\"\\ud800\",\"shape\":[2],\"data_offsets\":[0,8]}}", 22)]
    public void EscapedUnpairedSurrogate(string header, int offset)
    {
        Assert.Contains($"the string at file offset {offset} escapes an unpaired UTF-16 surrogate", LoadFails(Json(header, 8)).Message);
    }

    [Fact]
    public void DuplicateMetadata()
    {
        Assert.Contains("duplicate \"__metadata__\" at", LoadFails(Json("{\"__metadata__\":{},\"__metadata__\":{}}", 0)).Message);
        Assert.Contains("duplicate \"__metadata__\" key 'k'", LoadFails(Json("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0)).Message);
    }

    [Theory]
    [InlineData("{\"__metadata__\":{\"epoch\":1}}", "\"__metadata__\" value for key 'epoch' must be a string, found Number")]
    [InlineData("{\"__metadata__\":{\"k\":{\"x\":\"y\"}}}", "value for key 'k' must be a string, found StartObject")]
    [InlineData("{\"__metadata__\":{\"k\":null}}", "value for key 'k' must be a string, found Null")]
    [InlineData("{\"__metadata__\":[\"k\"]}", "\"__metadata__\" must be an object of string values, found StartArray")]
    public void NonStringMetadata(string header, string expected)
    {
        Assert.Contains(expected, LoadFails(Json(header, 0)).Message);
    }

    [Theory]
    [InlineData("X9", "tensor 'a' has unknown dtype 'X9'")]
    [InlineData("f32", "tensor 'a' has unknown dtype 'f32'")]
    [InlineData("I16", "tensor 'a' has unsupported dtype 'I16' (this library reads F32, F64, I64, and F16 and BF16 as float32)")]
    [InlineData("F16", "× F16 (2 bytes) = 4 bytes, but data_offsets [0, 8] span 8 bytes")]
    [InlineData("BF16", "× BF16 (2 bytes) = 4 bytes, but data_offsets [0, 8] span 8 bytes")]
    [InlineData("I32", "unsupported dtype 'I32'")]
    [InlineData("U8", "unsupported dtype 'U8'")]
    public void UnknownOrUnsupportedDType(string dtype, string expected)
    {
        Assert.Contains(expected, LoadFails(Json("{" + A8.Replace("F32", dtype) + "}", 8)).Message);
    }

    [Theory]
    [InlineData("[-2]", "shape dimension 0 must be a non-negative integer, found '-2'")]
    [InlineData("[2, 1.5]", "shape dimension 1 must be a non-negative integer, found '1.5'")]
    [InlineData("[\"2\"]", "shape dimension 0 must be a non-negative integer, found the string \"2\"")]
    [InlineData("2", "shape must be an array of integers, found Number")]
    public void BadShape(string shape, string expected)
    {
        Assert.Contains(expected, LoadFails(Json("{" + A8.Replace("[2]", shape) + "}", 8)).Message);
    }

    [Theory]
    [InlineData("[0]", "data_offsets must be two non-negative integers [begin, end], found only 1 values")]
    [InlineData("[0,8,16]", "data_offsets must have exactly two values [begin, end]")]
    [InlineData("[-8,0]", "data_offsets must be two non-negative integers [begin, end], found '-8'")]
    [InlineData("[8,0]", "data_offsets [8, 0] end before they begin")]
    [InlineData("{\"begin\":0}", "data_offsets must be [begin, end], found StartObject")]
    public void BadOffsets(string offsets, string expected)
    {
        Assert.Contains(expected, LoadFails(Json("{" + A8.Replace("[0,8]", offsets) + "}", 8)).Message);
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", "tensor 'a' has no 'data_offsets' field")]
    [InlineData("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "tensor 'a' has no 'dtype' field")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":1}}", "tensor 'a' has unknown field 'extra'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "tensor 'a' has field 'dtype' twice")]
    [InlineData("{\"a\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", "dtype must be a string, found Number")]
    public void WrongEntryFields(string header, string expected)
    {
        Assert.Contains(expected, LoadFails(Json(header, 8)).Message);
    }

    [Fact]
    public void OverlappingOffsets()
    {
        string header = "{" + A8 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        var ex = LoadFails(Json(header, 12));
        Assert.Contains("tensor 'b': data_offsets [4, 12]", ex.Message);
        Assert.Contains("overlapping tensor 'a', which ends at 8", ex.Message);
    }

    [Fact]
    public void SharedOffsets()
    {
        string header = "{" + A8 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        Assert.Contains("overlapping tensor 'a', which ends at 8", LoadFails(Json(header, 8)).Message);
    }

    [Fact]
    public void GapBetweenTensors()
    {
        string header = "{" + A8 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}";
        Assert.Contains("tensor 'b': data_offsets [12, 20] (file offset ", LoadFails(Json(header, 20)).Message);
        Assert.Contains("leaving a gap of 4 bytes after tensor 'a', which ends at 8", LoadFails(Json(header, 20)).Message);
    }

    [Fact]
    public void FirstTensorNotAtZero()
    {
        string header = "{" + A8.Replace("[0,8]", "[4,12]") + "}";
        Assert.Contains("leaving a gap of 4 bytes after the start of the data section", LoadFails(Json(header, 12)).Message);
    }

    [Fact]
    public void OffsetsOutOfRange()
    {
        string header = "{" + A8.Replace("[2]", "[1000000]").Replace("[0,8]", "[0,4000000]") + "}";
        var ex = LoadFails(Json(header, 8));
        Assert.Contains("the data section ends at file offset", ex.Message);
        Assert.Contains("(tensor 'a') but the file is only", ex.Message);

        string huge = "{" + A8.Replace("[2]", "[4611686018427387903]").Replace("[0,8]", "[0,18446744073709551612]") + "}";
        Assert.Contains("truncated or the offsets are out of range", LoadFails(Json(huge, 8)).Message);
    }

    [Fact]
    public void ShapeTimesDTypeSizeDiffersFromByteCount()
    {
        var ex = LoadFails(Json("{" + A8.Replace("[2]", "[3]") + "}", 8));
        Assert.Contains("tensor 'a': shape [3] × F32 (4 bytes) = 12 bytes, but data_offsets [0, 8] span 8 bytes", ex.Message);
    }

    [Fact]
    public void ShapeProductOverflows()
    {
        string header = "{" + A8.Replace("[2]", "[4294967296,4294967296,2]") + "}";
        Assert.Contains("the element count of shape [4294967296, 4294967296, 2] overflows 64 bits", LoadFails(Json(header, 8)).Message);
        string bytes = "{" + A8.Replace("[2]", "[4611686018427387904]") + "}";
        Assert.Contains("the byte count of shape [4611686018427387904] × F32 overflows 64 bits", LoadFails(Json(bytes, 8)).Message);
    }

    [Fact]
    public void DimensionTooLargeForThisLibrary()
    {
        string header = "{" + A8.Replace("[2]", "[0,3000000000]").Replace("[0,8]", "[0,0]") + "}";
        Assert.Contains("dimension 1 of shape [0, 3000000000] exceeds 2147483647", LoadFails(Json(header, 0)).Message);
    }

    [Fact]
    public void TruncatedFile()
    {
        byte[] file = SafeTensorsFiles.Build("{" + A8 + "}", SafeTensorsFiles.Floats(1, 2), pad: true);
        var ex = LoadFails(file[..^1]);
        Assert.Contains($"the data section ends at file offset {file.Length} (tensor 'a') but the file is only {file.Length - 1} bytes", ex.Message);
    }

    [Fact]
    public void TrailingBytes()
    {
        byte[] file = SafeTensorsFiles.Build("{" + A8 + "}", SafeTensorsFiles.Floats(1, 2), pad: true);
        var ex = LoadFails([.. file, 0, 0, 0]);
        Assert.Contains($"3 unexpected trailing bytes after the last tensor, from file offset {file.Length} to {file.Length + 3}", ex.Message);
    }

    [Fact]
    public void MissingFileIsAnIOError()
    {
        Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(_dir.File("nope.safetensors")));
    }
}
