namespace Backprop.Optim;

/// <summary>How <see cref="ReduceLROnPlateau"/> decides that a metric beats the best so far by more than its threshold (<c>threshold_mode</c>).</summary>
public enum ThresholdMode
{
    /// <summary><c>'rel'</c> (PyTorch's default): better than best·(1 − threshold) in min mode, best·(1 + threshold) in max mode.</summary>
    Rel,

    /// <summary><c>'abs'</c>: better than best − threshold in min mode, best + threshold in max mode.</summary>
    Abs,
}
