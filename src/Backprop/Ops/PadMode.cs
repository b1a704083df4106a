namespace Backprop;

/// <summary>How <see cref="PaddingOps.Pad"/> fills the border (PyTorch's <c>F.pad(..., mode=)</c> argument).</summary>
public enum PadMode
{
    /// <summary>A constant value, 0 unless given; <c>mode='constant'</c>. The only mode that pads any dims of any rank.</summary>
    Constant,

    /// <summary>The mirror image without repeating the edge: 2 1 | 0 1 2 3 | 2 1; <c>mode='reflect'</c>. Each pad is less than the dim's size.</summary>
    Reflect,

    /// <summary>Copies of the edge element: 0 0 | 0 1 2 3 | 3 3; <c>mode='replicate'</c>.</summary>
    Replicate,

    /// <summary>The input wrapped around, as on a torus: 2 3 | 0 1 2 3 | 0 1; <c>mode='circular'</c>. Each pad is at most the dim's size.</summary>
    Circular,
}
