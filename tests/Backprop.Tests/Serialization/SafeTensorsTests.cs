using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Backprop.Serialization;

namespace Backprop.Tests.Serialization;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Dictionary<string, Tensor> Sample() => new()
    {
        ["layers.0.weight"] = Tensor.FromArray(new float[] { 1.5f, -2.25f, float.MaxValue, float.Epsilon, 0f, -0f }, 2, 3),
        ["layers.0.bias"] = Tensor.FromArray(new double[] { Math.PI, double.MinValue }, 2),
        ["labels"] = Tensor.FromArray(new long[] { long.MinValue, -1, 0, long.MaxValue }, 2, 1, 2),
        ["scalar"] = Tensor.Scalar(42.5, DType.Float64),
        ["empty"] = Tensor.Zeros([0, 3]),
        ["empty_i64"] = Tensor.Zeros([4, 0], DType.Int64),
    };

    [Fact]
    public void RoundTripKeepsDTypesShapesValuesAndMetadata()
    {
        string path = _dir.File("model.safetensors");
        var tensors = Sample();
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["spec"] = "784-256-10:relu", ["ünïcode"] = "\"quoted\"\n" };
        SafeTensors.Save(path, tensors, metadata);

        var (loaded, loadedMeta) = SafeTensors.LoadWithMetadata(path);
        Assert.Equal(tensors.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, expected) in tensors)
        {
            var actual = loaded[name];
            Assert.Equal(expected.DType, actual.DType);
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(expected.Rank, actual.Rank);
        }

        Assert.Equal(tensors["layers.0.weight"].ToArray<float>(), loaded["layers.0.weight"].ToArray<float>());
        Assert.True(BitConverter.SingleToInt32Bits(-0f) == BitConverter.SingleToInt32Bits(loaded["layers.0.weight"].ToArray<float>()[5]));
        Assert.Equal(new[] { Math.PI, double.MinValue }, loaded["layers.0.bias"].ToArray<double>());
        Assert.Equal(new[] { long.MinValue, -1, 0, long.MaxValue }, loaded["labels"].ToArray<long>());
        Assert.Equal(0, loaded["scalar"].Rank);
        Assert.Equal(42.5, loaded["scalar"].Item());
        Assert.Equal(0, loaded["empty"].Numel);
        Assert.Equal(new[] { 4, 0 }, loaded["empty_i64"].Shape);
        Assert.Equal(metadata, loadedMeta);
        Assert.Equal(tensors.Keys.Order(), SafeTensors.Load(path).Keys.Order());
    }

    [Fact]
    public void NoMetadataLoadsAsEmptyAndWritesNoMetadataKey()
    {
        string path = _dir.File("plain.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(3) });
        var (tensors, metadata) = SafeTensors.LoadWithMetadata(path);
        Assert.Empty(metadata);
        Assert.Equal(new[] { 1.0, 1, 1 }, tensors["w"].ToArray());
        Assert.DoesNotContain("__metadata__", Encoding.UTF8.GetString(File.ReadAllBytes(path)));
    }

    [Fact]
    public void HeaderLayoutIsTheStandardFormat()
    {
        string path = _dir.File("layout.safetensors");
        var tensors = new Dictionary<string, Tensor>
        {
            ["b"] = Tensor.FromArray(new float[] { 1, 2, 3 }, 3),
            ["a"] = Tensor.FromArray(new long[] { 7, 8 }, 2),
            ["z"] = Tensor.Zeros(0),
            ["c"] = Tensor.Scalar(0.5, DType.Float64),
        };
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["k"] = "v" });

        byte[] bytes = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8);
        Assert.Equal(bytes.Length, 8 + (int)n + 12 + 16 + 0 + 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{\"__metadata__\":{\"k\":\"v\"},\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}", header);
        Assert.EndsWith("}", header.TrimEnd(' '));
        Assert.True(header.Length - header.TrimEnd(' ').Length < 8);

        using var doc = JsonDocument.Parse(header);
        var root = doc.RootElement;
        Assert.Equal("v", root.GetProperty("__metadata__").GetProperty("k").GetString());

        // Tensors follow the dictionary order, contiguous from 0.
        long expected = 0;
        foreach (var (name, dtype, size) in new[] { ("b", "F32", 12), ("a", "I64", 16), ("z", "F32", 0), ("c", "F64", 8) })
        {
            var entry = root.GetProperty(name);
            Assert.Equal(dtype, entry.GetProperty("dtype").GetString());
            var offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            Assert.Equal(new[] { expected, expected + size }, offsets);
            expected += size;
        }

        Assert.Equal(0, root.GetProperty("c").GetProperty("shape").GetArrayLength());
        Assert.Equal(2f, BitConverter.ToSingle(bytes, 8 + (int)n + 4));
        Assert.Equal(8L, BitConverter.ToInt64(bytes, 8 + (int)n + 12 + 8));
        Assert.Equal(0.5, BitConverter.ToDouble(bytes, 8 + (int)n + 28));
    }

    [Fact]
    public void FileWrittenAsPythonWouldLoads()
    {
        // What safetensors.torch.save_file({"a": torch.tensor([1.0, -2.0])}) writes, padding included.
        byte[] file = SafeTensorsFiles.Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", SafeTensorsFiles.Floats(1f, -2f), pad: true);
        string path = _dir.File("python.safetensors");
        File.WriteAllBytes(path, file);

        var loaded = SafeTensors.Load(path);
        Assert.Equal(new[] { 1f, -2f }, loaded["a"].ToArray<float>());
        Assert.Equal(new[] { 2 }, loaded["a"].Shape);
    }

    [Fact]
    public void UnpaddedHeaderWithWhitespaceAndEscapedNamesLoads()
    {
        byte[] file = SafeTensorsFiles.Build(
            "{ \"__metadata__\" : { \"format\" : \"pt\" } ,\n \"b\\u002e0\" : { \"data_offsets\" : [8, 16], \"shape\" : [ ], \"dtype\" : \"F64\" }, \"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]} }",
            [.. BitConverter.GetBytes(5L), .. BitConverter.GetBytes(2.5)]);
        string path = _dir.File("spaced.safetensors");
        File.WriteAllBytes(path, file);

        var (tensors, metadata) = SafeTensors.LoadWithMetadata(path);
        Assert.Equal("pt", metadata["format"]);
        Assert.Equal(2.5, tensors["b.0"].Item());
        Assert.Equal(new long[] { 5 }, tensors["a"].ToArray<long>());

        // Data-section order, not header order.
        Assert.Equal(new[] { "a", "b.0" }, tensors.Keys.ToArray());
    }

    [Fact]
    public void InspectReadsHeaderOnly()
    {
        string path = _dir.File("inspect.safetensors");
        SafeTensors.Save(path, Sample(), new Dictionary<string, string> { ["spec"] = "mlp" });

        var header = SafeTensors.Inspect(path);
        Assert.Equal(6, header.Tensors.Count);
        Assert.Equal("mlp", header.Metadata["spec"]);
        var w = header.Tensors.Single(t => t.Name == "layers.0.weight");
        Assert.Equal(DType.Float32, w.DType);
        Assert.Equal(new[] { 2, 3 }, w.Shape);
        Assert.Equal(6, w.Numel);
        Assert.Equal(24, w.ByteCount);
        Assert.Equal(0, header.HeaderLength % 8);
        Assert.Equal(6 + 2 + 4 + 1 + 0 + 0, header.TotalNumel);
        Assert.Equal(new FileInfo(path).Length, header.DataStart + header.Tensors[^1].End);
    }

    [Fact]
    public void SaveRejectsReservedName()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            SafeTensors.Save(_dir.File("x.safetensors"), new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Ones(1) }));
        Assert.Contains("reserved", ex.Message);
        Assert.Empty(_dir.Entries());
    }

    [Fact]
    public void EmptyDictionaryRoundTrips()
    {
        string path = _dir.File("empty.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>());
        Assert.Equal(16, new FileInfo(path).Length);
        Assert.Empty(SafeTensors.Load(path));
    }
}
