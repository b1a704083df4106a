namespace Backprop.Metrics;

/// <summary>How per-class precision, recall and F1 become one number (scikit-learn's <c>average</c> argument).</summary>
public enum Average
{
    /// <summary>The unweighted mean over the classes (<c>average="macro"</c>).</summary>
    Macro,

    /// <summary>Computed once from the true positives, false positives and false negatives summed over the classes (<c>average="micro"</c>); for single-label data all three equal the accuracy.</summary>
    Micro,

    /// <summary>The mean over the classes weighted by each class's support, its number of true samples (<c>average="weighted"</c>).</summary>
    Weighted,
}
