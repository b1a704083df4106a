using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Backprop.Tests.Onnx;

/// <summary>Runs an exported model in ONNX Runtime, the reference implementation of the format.</summary>
internal static class OnnxRuntimeRunner
{
    /// <summary>Runs <paramref name="model"/> (an ONNX file's bytes) on <paramref name="input"/> and returns its single output.</summary>
    public static (float[] Values, int[] Shape) Run(byte[] model, Tensor input, string inputName = "input")
    {
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        var feed = new DenseTensor<float>(input.ToArray<float>(), input.Shape);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, feed)]);
        var output = Assert.Single(results).AsTensor<float>();
        return (output.ToArray(), output.Dimensions.ToArray());
    }

    /// <summary>
    /// Exports <paramref name="model"/> traced at <paramref name="traceShape"/>, runs the file on
    /// <paramref name="x"/> and asserts the output has Forward's shape and is within
    /// <paramref name="tolerance"/> of it (Forward in eval mode, without recording).
    /// </summary>
    public static void AssertMatchesForward(Backprop.NN.Module model, int[] traceShape, Tensor x, double tolerance)
    {
        byte[] onnx = Backprop.Onnx.OnnxExport.ToBytes(model, traceShape);
        model.Eval();
        Tensor expected;
        using (Backprop.Autograd.NoGrad())
        {
            expected = model.Forward(x);
        }

        var (actual, shape) = Run(onnx, x);
        Assert.Equal(expected.Shape, shape);
        double diff = MaxAbsDifference(expected.ToArray<float>(), actual);
        Assert.True(diff <= tolerance, $"max |onnx - backprop| = {diff}");
    }

    /// <summary>Largest |a − b| over the elements.</summary>
    public static double MaxAbsDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
        }

        return max;
    }
}
