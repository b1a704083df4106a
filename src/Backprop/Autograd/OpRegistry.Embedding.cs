namespace Backprop;

public static partial class OpRegistry
{
    /// <summary>Embedding (Ops/Embedding.cs).</summary>
    private static IEnumerable<OpInfo> EmbeddingOps()
    {
        yield return new("embedding", x => Tensor.Embedding(x[0], x[1]), InputSpec.Index([2, 3], 5), In([5, 4]));
    }
}
