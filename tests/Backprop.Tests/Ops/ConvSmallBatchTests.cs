using Backprop.NN;
using Backprop.Tests.Kernels;

namespace Backprop.Tests.Ops;

/// <summary>
/// With fewer samples than threads (batch-1 inference on two threads) the direct convolution shares
/// each sample's output channels out between the threads in whole kernel panels. Every output must be
/// the bits one thread computes, and the bits the same sample gets inside a larger batch (where the
/// threads take whole samples).
/// </summary>
public class ConvSmallBatchTests
{
    [Theory]
    [InlineData(1, 28, 28, 16, 5, 2)] // the benchmark CNN's first layer: two panels
    [InlineData(16, 14, 14, 32, 5, 2)] // its second layer: four (AVX-512) or six (AVX2) panels
    [InlineData(16, 14, 14, 13, 5, 2)] // a last, partial panel
    [InlineData(3, 17, 19, 20, 3, 1)] // odd sizes, 3×3
    [InlineData(32, 12, 12, 64, 3, 1)] // cnn-bn's second layer
    public void FewerSamplesThanThreadsGiveTheBitsOfOneThreadAndOfALargerBatch(int channels, int height, int width, int outChannels, int kernel, int padding)
    {
        var w = Tensor.Randn([outChannels, channels, kernel, kernel], new Generator(outChannels));
        var b = Tensor.Randn([outChannels], new Generator(outChannels + 1));
        var big = Tensor.Randn([4, channels, height, width], new Generator(channels + height));
        float[] Conv(Tensor x, int threads) => ThreadCount.With(threads, () =>
        {
            using (Backprop.Autograd.NoGrad())
            {
                return F.Conv2d(x, w, b, padding: padding).ToArray<float>();
            }
        });

        float[] inBatch = Conv(big, 2);
        int sample = inBatch.Length / 4;
        foreach (int batch in (int[])[1, 2])
        {
            var x = big[..batch].Contiguous();
            float[] one = Conv(x, 1), two = Conv(x, 2), three = Conv(x, 3);
            Assert.True(one.AsSpan().SequenceEqual(two), $"batch {batch}: 2 threads differ from 1");
            Assert.True(one.AsSpan().SequenceEqual(three), $"batch {batch}: 3 threads differ from 1");
            Assert.True(one.AsSpan().SequenceEqual(inBatch.AsSpan(0, batch * sample)), $"batch {batch}: differs from the same samples in a batch of 4");
        }
    }
}
