using Backprop.Serialization;
using Xunit;

namespace Backprop.Tests.Serialization;

/// <summary>F16 and BF16 tensors, as published weights store them, load widened to float32.</summary>
public class SafeTensorsHalfTests
{
    private static byte[] Halves(params float[] values) => values.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray();

    /// <summary>bfloat16 by truncating float32's bits (exact for the values used here).</summary>
    private static byte[] BFloat16s(params float[] values) =>
        values.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(v) >>> 16))).ToArray();

    [Fact]
    public void HalfAndBFloat16LoadAsFloat32()
    {
        float[] half = [1.5f, -2.25f, 65504f, 5.9604645e-8f, 0f, float.NegativeInfinity];
        float[] bf16 = [1.5f, -2.25f, 3.3895314e38f, BitConverter.Int32BitsToSingle(0x00800000), -0f, float.NaN];
        byte[] data = [.. Halves(half), .. BFloat16s(bf16)];
        string header =
            "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,12]}," +
            "\"b\":{\"dtype\":\"BF16\",\"shape\":[6],\"data_offsets\":[12,24]}}";
        using var dir = new TempFolder();
        string path = dir.File("half.safetensors");
        File.WriteAllBytes(path, SafeTensorsFiles.Build(header, data));

        var tensors = SafeTensors.Load(path);
        Assert.Equal(DType.Float32, tensors["h"].DType);
        Assert.Equal([2, 3], tensors["h"].Shape);
        Assert.Equal(half, tensors["h"].ToArray<float>());
        float[] loaded = tensors["b"].ToArray<float>();
        Assert.Equal(bf16[..5], loaded[..5]);
        Assert.True(float.IsNaN(loaded[5]));

        var info = SafeTensors.Inspect(path).Tensors.Single(t => t.Name == "b");
        Assert.Equal("BF16", info.FileDType);
        Assert.Equal(DType.Float32, info.DType);
        Assert.Equal("F16", SafeTensors.Inspect(path).Tensors.Single(t => t.Name == "h").FileDType);
    }

    [Fact]
    public void HalfWeightsLoadIntoAFloat32Model()
    {
        var model = new Backprop.NN.Linear(3, 2, generator: new Generator(1));
        var weight = model.Weight.ToArray<float>().Select(v => (float)(Half)v).ToArray();
        var bias = model.Bias!.ToArray<float>().Select(v => (float)(Half)v).ToArray();
        string header =
            "{\"weight\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,12]}," +
            "\"bias\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[12,16]}}";
        using var dir = new TempFolder();
        string path = dir.File("linear.safetensors");
        File.WriteAllBytes(path, SafeTensorsFiles.Build(header, [.. Halves(weight), .. Halves(bias)]));

        var fresh = new Backprop.NN.Linear(3, 2, generator: new Generator(2));
        fresh.LoadStateDict(SafeTensors.Load(path));
        Assert.Equal(weight, fresh.Weight.ToArray<float>());
        Assert.Equal(bias, fresh.Bias!.ToArray<float>());
    }
}
