namespace Backprop.Tests.Ops;

public class EmbeddingTests
{
    private static readonly Tensor s_table = Tensor.FromArray(new double[,] { { 0, 1 }, { 10, 11 }, { 20, 21 }, { 30, 31 } });

    [Fact]
    public void ForwardPicksRowsAndAppendsTheEmbeddingDim()
    {
        var idx = Tensor.FromArray(new long[] { 2, 0, 3, 2, 1, 1 }, 2, 3);
        var y = Tensor.Embedding(idx, s_table);
        Assert.Equal([2, 3, 2], y.Shape);
        Assert.Equal([20.0, 21, 0, 1, 30, 31, 20, 21, 10, 11, 10, 11], y.ToArray());
    }

    [Fact]
    public void BackwardScatterAddsRepeatedIndicesAndSkipsThePaddingRow()
    {
        var w = s_table.Detach().Clone().RequiresGrad_();
        var idx = Tensor.FromArray(new long[] { 2, 0, 2, 1 }, 4);
        var upstream = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 } });

        Tensor.Embedding(idx, w, paddingIdx: 1).Backward(upstream);

        // Row 2 is used twice (1 + 5, 2 + 6); row 1 is the padding row; row 3 is unused.
        Assert.Equal([3.0, 4, 0, 0, 6, 8, 0, 0], w.Grad!.ToArray());

        w.ZeroGrad();
        Tensor.Embedding(idx, w, paddingIdx: -3).Backward(upstream);
        Assert.Equal([3.0, 4, 0, 0, 6, 8, 0, 0], w.Grad!.ToArray());
    }

    [Fact]
    public void IndexOutOfRangeNamesTheIndexAndNumEmbeddings()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Embedding(Tensor.FromArray(new long[] { 0, 4 }), s_table));
        Assert.Contains("index 4", ex.Message);
        Assert.Contains("num_embeddings 4", ex.Message);
        Assert.Contains("index -1", Assert.Throws<ArgumentException>(() => Tensor.Embedding(Tensor.FromArray(new long[] { -1 }), s_table)).Message);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => Tensor.Embedding(Tensor.Zeros(2), s_table)).Message);
        Assert.Contains("padding_idx 4", Assert.Throws<ArgumentException>(() => Tensor.Embedding(Tensor.FromArray(new long[] { 0 }), s_table, 4)).Message);
    }
}
