namespace Backprop;

/// <summary>
/// One entry of a <see cref="Tensor"/> indexer: an integer that selects (and removes) a dimension,
/// or a slice that keeps it, as in Python's <c>x[0, 1:3, ::2]</c>. Ints and C# ranges convert
/// implicitly: <c>x[0]</c>, <c>x[.., 1..3]</c>, <c>x[^1]</c>; slices use Python's clamped bounds.
/// </summary>
public readonly struct TensorIndex
{
    private TensorIndex(bool isSelect, int index, int? start, int? end, int step)
    {
        IsSelect = isSelect;
        Index = index;
        Start = start;
        End = end;
        Step = step;
    }

    /// <summary>True for an integer index (<see cref="IndexingOps.Select"/>), false for a slice (<see cref="IndexingOps.Slice"/>).</summary>
    public bool IsSelect { get; }

    /// <summary>The selected position (negative counts from the end); meaningful when <see cref="IsSelect"/>.</summary>
    public int Index { get; }

    /// <summary>The slice start (negative counts from the end); null means the beginning.</summary>
    public int? Start { get; }

    /// <summary>The exclusive slice end (negative counts from the end); null means the end.</summary>
    public int? End { get; }

    /// <summary>The slice step, positive.</summary>
    public int Step { get; }

    /// <summary>All of a dimension (Python's <c>:</c>).</summary>
    public static TensorIndex All => new(false, 0, null, null, 1);

    /// <summary>A Python slice <c>start:end:step</c> with clamped bounds (<c>x[start:end:step]</c>).</summary>
    /// <param name="start">The first index taken (negative counts from the end); null for the start.</param>
    /// <param name="end">The bound, not taken (negative counts from the end); null for the end.</param>
    /// <param name="step">The stride, positive (default 1).</param>
    /// <returns>An index that keeps the dimension, with the positions <paramref name="start"/>, start + step, … before <paramref name="end"/>.</returns>
    public static TensorIndex Slice(int? start = null, int? end = null, int step = 1) => new(false, 0, start, end, step);

    /// <summary>An integer index: <c>x[i]</c> selects position i and removes the dimension.</summary>
    /// <param name="index">The position selected along the dim (negative counts from the end).</param>
    /// <returns>An index that selects position <paramref name="index"/> and removes the dimension.</returns>
    public static implicit operator TensorIndex(int index) => new(true, index, null, null, 1);

    /// <summary>An integer index counted from the end: <c>x[^1]</c> is the last position (Python's <c>x[-1]</c>).</summary>
    /// <param name="index">The position selected along the dim; <c>^1</c> is the last.</param>
    /// <returns>An index that selects one position and removes the dimension.</returns>
    public static implicit operator TensorIndex(System.Index index) => index.IsFromEnd
        ? new(true, -index.Value, null, null, 1)
        : new(true, index.Value, null, null, 1);

    /// <summary>
    /// A slice from a C# range: <c>1..3</c> is Python's <c>1:3</c>, <c>^2..</c> is <c>-2:</c>, <c>..</c> is <c>:</c>.
    /// Out-of-range bounds are clamped, as in Python, rather than thrown.
    /// </summary>
    /// <param name="range">The slice taken along the dim, e.g. <c>1..^1</c>.</param>
    /// <returns>A slice index with step 1 that keeps the dimension.</returns>
    public static implicit operator TensorIndex(Range range)
    {
        // ^0 as a start is "at the end" (an empty slice); as an end it is "to the end".
        int? start = range.Start.IsFromEnd
            ? (range.Start.Value == 0 ? int.MaxValue : -range.Start.Value)
            : range.Start.Value;
        int? end = range.End.IsFromEnd
            ? (range.End.Value == 0 ? null : -range.End.Value)
            : range.End.Value;
        return new(false, 0, start, end, 1);
    }

    /// <inheritdoc/>
    public override string ToString() => IsSelect ? $"{Index}" : $"{Start}:{End}{(Step == 1 ? string.Empty : $":{Step}")}";
}
