using Backprop.Tests.Kernels;

namespace Backprop.Tests.Ops;

/// <summary>
/// conv2d's forward over fewer samples than threads, where the threads share out one sample's output
/// channels and each pads the sample into its own buffer: bit for bit what one thread computes
/// sample by sample, and within float32 rounding of a float64 convolution.
/// </summary>
[Collection(ThreadCountCollection.Name)]
public class ConvolutionSplitTests
{
    [Theory]
    [InlineData(1, 1, 28, 28, 16, 5, 2)] // the bench CNN's first layer
    [InlineData(1, 16, 14, 14, 32, 5, 2)] // its second layer
    [InlineData(2, 3, 13, 17, 40, 3, 1)] // two samples on three threads, a last panel not full
    [InlineData(1, 5, 9, 20, 9, 3, 0)] // no padding
    public void SharingOneSamplesChannelsGivesTheBitsOfOneThread(int batch, int channels, int height, int width, int outChannels, int kernel, int padding)
    {
        var w = Tensor.Randn([outChannels, channels, kernel, kernel], seed: outChannels) * 0.2f;
        var b = Tensor.Randn([outChannels], seed: 5);
        // A new image on every call, several calls back to back (the workers then still spin and take
        // their share): a thread that used a padded copy left in a pooled buffer by an earlier call
        // would compute the earlier image.
        var inputs = Enumerable.Range(0, 6).Select(i => Tensor.Randn([batch, channels, height, width], seed: (channels * 31) + width + i)).ToArray();
        var expected = ThreadCount.With(1, () => inputs.Select(x => Tensor.Conv2d(x, w, b, padding: padding).ToArray<float>()).ToArray());
        var reference = Tensor.Conv2d(inputs[0].To(DType.Float64), w.To(DType.Float64), b.To(DType.Float64), padding: padding).ToArray<double>();
        for (int i = 0; i < reference.Length; i++)
        {
            Assert.True(Math.Abs(expected[0][i] - reference[i]) <= 1e-4 * (1 + Math.Abs(reference[i])), $"element {i}: {expected[0][i]}, float64 {reference[i]}");
        }

        foreach (int threads in (int[])[2, 3])
        {
            var actual = ThreadCount.With(threads, () => inputs.Select(x => Tensor.Conv2d(x, w, b, padding: padding).ToArray<float>()).ToArray());
            for (int call = 0; call < inputs.Length; call++)
            {
                Assert.True(expected[call].AsSpan().SequenceEqual(actual[call]), $"threads {threads}, call {call}: differs from one thread");
            }
        }
    }
}
