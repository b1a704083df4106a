namespace Backprop.Optim;

/// <summary>Whether <see cref="ReduceLROnPlateau"/>'s metric improves by falling or by rising (<c>mode</c>).</summary>
public enum PlateauMode
{
    /// <summary><c>'min'</c>: lower is better, as for a loss (PyTorch's default).</summary>
    Min,

    /// <summary><c>'max'</c>: higher is better, as for an accuracy.</summary>
    Max,
}
