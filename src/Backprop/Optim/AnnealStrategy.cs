namespace Backprop.Optim;

/// <summary>How <see cref="OneCycleLR"/> moves between two rates within a phase (<c>anneal_strategy</c>).</summary>
public enum AnnealStrategy
{
    /// <summary>Half a cosine, <c>'cos'</c> (PyTorch's default): end + (start − end)/2 · (1 + cos(π·pct)).</summary>
    Cos,

    /// <summary>A straight line, <c>'linear'</c>: start + (end − start)·pct.</summary>
    Linear,
}
