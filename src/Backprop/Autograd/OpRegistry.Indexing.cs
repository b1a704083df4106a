namespace Backprop;

public static partial class OpRegistry
{
    // Indexing ops (Ops/Indexing.cs): each output is a rearrangement (or a masked copy) of its inputs,
    // so each Jacobian is a 0/1 matrix; products with a second input would not make the check stronger.
    private static IEnumerable<OpInfo> IndexingOps()
    {
        yield return new("select", x => x[0].Select(1, -1), In([2, 3, 4]));
        yield return new("narrow", x => x[0].Narrow(2, 1, 2), In([2, 3, 4]));
        yield return new("slice_step", x => x[0].Slice(1, -4, null, 2), In([3, 5]));
        yield return new("index", x => x[0][^1, 1..3], In([2, 3, 4]));
        yield return new("gather", x => x[0].Gather(1, x[1]), In([3, 4]), InputSpec.Index([2, 5], 4));
        yield return new("index_select", x => x[0].IndexSelect(0, x[1]), In([3, 4]), InputSpec.Index([6], 3));
        yield return new("where", x => Tensor.Where(x[0].Gt(0.0), x[1], x[2]), InputSpec.Constant([3, 1]), In([3, 4]), In([4]));
    }
}
