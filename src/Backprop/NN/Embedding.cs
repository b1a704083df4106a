using System.Globalization;

namespace Backprop.NN;

/// <summary>
/// A lookup table of <see cref="NumEmbeddings"/> vectors of size <see cref="EmbeddingDim"/>
/// (<c>torch.nn.Embedding(num_embeddings, embedding_dim, padding_idx=None)</c>): y[…, :] = weight[index[…], :]
/// for int64 indices. The weight is drawn from N(0, 1) as PyTorch does, with the padding row zeroed;
/// the padding row gets no gradient. See <see cref="EmbeddingOps.Embedding"/>.
/// </summary>
public sealed class Embedding : Module
{
    /// <summary>Creates the table, drawing the weight from <paramref name="generator"/> (or <see cref="Generator.Default"/>).</summary>
    /// <param name="numEmbeddings">The size of the table: indices run from 0 to numEmbeddings − 1.</param>
    /// <param name="embeddingDim">The length of each vector.</param>
    /// <param name="paddingIdx">An index whose row stays zero and gets no gradient, or null for none (negative counts from the end).</param>
    /// <param name="generator">The random source of the initial table, or null for <see cref="Generator.Default"/>.</param>
    /// <param name="dtype">The table's element type (default <see cref="DType.Float32"/>).</param>
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null, Generator? generator = null, DType dtype = DType.Float32)
    {
        if (numEmbeddings < 1 || embeddingDim < 1)
        {
            throw new ArgumentException($"Embedding: num_embeddings and embedding_dim must be positive, got {numEmbeddings} and {embeddingDim}");
        }

        if (!dtype.IsFloatingPoint())
        {
            throw new ArgumentException($"Embedding: dtype must be float32 or float64, got {dtype.Name()}");
        }

        PaddingIdx = NormalizePaddingIdx(paddingIdx, numEmbeddings);
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        Weight = Tensor.Zeros([numEmbeddings, embeddingDim], dtype, requiresGrad: true);
        ResetParameters(generator);
    }

    /// <summary>The table, (num_embeddings, embedding_dim) (<c>embedding.weight</c>).</summary>
    public Tensor Weight { get; set; }

    /// <summary>Number of rows (<c>num_embeddings</c>).</summary>
    public int NumEmbeddings { get; }

    /// <summary>Size of each row (<c>embedding_dim</c>).</summary>
    public int EmbeddingDim { get; }

    /// <summary>The row that gets no gradient (and starts at zero), made non-negative; null for none (<c>padding_idx</c>).</summary>
    public int? PaddingIdx { get; }

    /// <summary>
    /// A layer holding <paramref name="embeddings"/> itself (<c>nn.Embedding.from_pretrained(embeddings,
    /// freeze=True, padding_idx=None)</c>); frozen layers do not require grad.
    /// </summary>
    /// <param name="embeddings">The table, (num_embeddings, embedding_dim), used as the layer's weight.</param>
    /// <param name="freeze">Whether the table is left out of training (default true, as PyTorch's <c>freeze</c>).</param>
    /// <param name="paddingIdx">An index whose row gets no gradient, or null for none.</param>
    /// <returns>A new layer whose <see cref="Weight"/> is <paramref name="embeddings"/> (not a copy).</returns>
    public static Embedding FromPretrained(Tensor embeddings, bool freeze = true, int? paddingIdx = null)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Rank != 2)
        {
            throw new ArgumentException($"Embedding.FromPretrained: embeddings must be 2-D (num_embeddings x embedding_dim), got {Shapes.Format(embeddings._shape)}");
        }

        var layer = new Embedding(embeddings._shape[0], embeddings._shape[1], paddingIdx, dtype: embeddings.DType);
        layer.Weight = embeddings.Detach().Clone().RequiresGrad_(!freeze);
        return layer;
    }

    /// <summary>Re-draws the weight from N(0, 1) and zeroes the padding row (<c>reset_parameters</c>).</summary>
    /// <param name="generator">The random source, or null for <see cref="Generator.Default"/>.</param>
    public void ResetParameters(Generator? generator = null)
    {
        Init.Normal(Weight, 0, 1, generator);
        if (PaddingIdx is int p)
        {
            for (int j = 0; j < EmbeddingDim; j++)
            {
                Weight.SetDouble((p * EmbeddingDim) + j, 0);
            }
        }
    }

    /// <summary>Looks up the rows for an int64 <paramref name="input"/> of any shape; the output adds a last dim of embedding_dim.</summary>
    /// <param name="input">Int64 indices of any shape, each in [0, num_embeddings).</param>
    /// <returns>A new tensor of shape input.shape + (embedding_dim) and the weight's dtype.</returns>
    public override Tensor Forward(Tensor input) => Tensor.Embedding(input, Weight, PaddingIdx);

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(
        CultureInfo.InvariantCulture,
        $"{NumEmbeddings}, {EmbeddingDim}{(PaddingIdx is int p ? $", padding_idx={p}" : "")}");

    private static int? NormalizePaddingIdx(int? paddingIdx, int numEmbeddings) => paddingIdx switch
    {
        null => null,
        int p when p >= 0 && p < numEmbeddings => p,
        int p when p < 0 && p >= -numEmbeddings => p + numEmbeddings,
        int p => throw new ArgumentException($"Embedding: padding_idx {p} must be within num_embeddings {numEmbeddings} (from {-numEmbeddings} to {numEmbeddings - 1})"),
    };
}
