namespace Backprop;

public static partial class OpRegistry
{
    // Shape and indexing ops: each output is a rearrangement (or a masked copy) of its inputs, so
    // each Jacobian is a 0/1 matrix; products with a second input would not make the check stronger.
    private static IEnumerable<OpInfo> ShapeOps()
    {
        yield return new("reshape", x => x[0].Reshape(4, -1), In([2, 3, 4]));
        yield return new("view", x => x[0].View(-1), In([3, 4]));
        yield return new("flatten", x => x[0].Flatten(1), In([2, 3, 4]));
        yield return new("squeeze", x => x[0].Squeeze(), In([3, 1, 4, 1]));
        yield return new("squeeze_dim", x => x[0].Squeeze(1), In([3, 1, 4]));
        yield return new("unsqueeze", x => x[0].Unsqueeze(-1), In([3, 4]));
        yield return new("transpose", x => x[0].Transpose(0, 2), In([2, 3, 4]));
        yield return new("t", x => x[0].T, In([3, 4]));
        yield return new("mt", x => x[0].MT, In([2, 3, 4]));
        yield return new("permute", x => x[0].Permute(2, 0, 1), In([2, 3, 4]));
        yield return new("expand", x => x[0].Expand(2, 3, -1), In([3, 1]));
        yield return new("broadcast_to", x => x[0].BroadcastTo(2, 3, 4), In([1, 4]));
        yield return new("cat", x => Tensor.Concat([x[0], x[1], x[0]], 1), In([2, 3]), In([2, 2]));
        yield return new("stack", x => Tensor.Stack([x[0], x[1]], -1), In([2, 3]), In([2, 3]));
        yield return new("select", x => x[0].Select(1, -1), In([2, 3, 4]));
        yield return new("narrow", x => x[0].Narrow(2, 1, 2), In([2, 3, 4]));
        yield return new("slice_step", x => x[0].Slice(1, -4, null, 2), In([3, 5]));
        yield return new("index", x => x[0][^1, 1..3], In([2, 3, 4]));
        yield return new("gather", x => x[0].Gather(1, x[1]), In([3, 4]), InputSpec.Index([2, 5], 4));
        yield return new("index_select", x => x[0].IndexSelect(0, x[1]), In([3, 4]), InputSpec.Index([6], 3));
        yield return new("where", x => Tensor.Where(x[0].Gt(0.0), x[1], x[2]), InputSpec.Constant([3, 1]), In([3, 4]), In([4]));
    }
}
