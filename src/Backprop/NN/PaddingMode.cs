namespace Backprop.NN;

/// <summary>
/// How <see cref="Conv1d"/> and <see cref="Conv2d"/> fill their padding (PyTorch's <c>padding_mode</c>
/// argument). Every mode but <see cref="Zeros"/> pads the input with <see cref="F.Pad"/> in that mode
/// first and then convolves without padding, as PyTorch does.
/// </summary>
public enum PaddingMode
{
    /// <summary>Zeros, inside the convolution; <c>padding_mode='zeros'</c> (the default).</summary>
    Zeros,

    /// <summary>The input mirrored at its edges, without repeating the edge; <c>padding_mode='reflect'</c>. The padding must be less than the input's size.</summary>
    Reflect,

    /// <summary>Copies of the edge elements; <c>padding_mode='replicate'</c>.</summary>
    Replicate,

    /// <summary>The input wrapped around; <c>padding_mode='circular'</c>. The padding must be at most the input's size.</summary>
    Circular,
}
