namespace Backprop.Data.Transforms;

/// <summary>
/// How <see cref="RandomCrop"/> fills its padding (torchvision's <c>padding_mode</c>). Shown on a row
/// 1 2 3 4 padded by 2: constant (fill 0) 0 0 1 2 3 4 0 0, edge 1 1 1 2 3 4 4 4,
/// reflect 3 2 1 2 3 4 3 2, symmetric 2 1 1 2 3 4 4 3.
/// </summary>
public enum ImagePaddingMode
{
    /// <summary>The fill value (<c>padding_mode='constant'</c>, the default).</summary>
    Constant,

    /// <summary>Copies of the edge pixel (<c>'edge'</c>).</summary>
    Edge,

    /// <summary>The image mirrored at its edge without repeating the edge pixel (<c>'reflect'</c>); the padding must be less than the image's size.</summary>
    Reflect,

    /// <summary>The image mirrored at its edge, repeating the edge pixel (<c>'symmetric'</c>); the padding must be at most the image's size.</summary>
    Symmetric,
}
