namespace Backprop;

/// <summary>
/// What an <see cref="OpDefinition"/> sees while it lowers one recorded node to ONNX (the op contract's
/// "ONNX lowering is plain data"): the ONNX value names and traced shapes of the node's inputs, and a
/// way to append ONNX nodes and constants by op type, inputs and attributes. The library knows no
/// protobuf; the exporter (Backprop.Onnx) implements this interface and writes the file.
/// </summary>
public interface IOnnxLowering
{
    /// <summary>The ai.onnx opset the file is written for (17 to 21), for ops whose ONNX form changed (Gelu in 20).</summary>
    int Opset { get; }

    /// <summary>The number of inputs the node recorded (<see cref="Node.Inputs"/>).</summary>
    int InputCount { get; }

    /// <summary>The ONNX value name of the node's input <paramref name="index"/>, in the order the op recorded its inputs.</summary>
    /// <param name="index">The input's position among the recorded inputs, from 0.</param>
    /// <returns>The value name, as the file's nodes refer to it.</returns>
    string Input(int index);

    /// <summary>The shape input <paramref name="index"/> had when traced (dim 0 is the batch, which may differ at run time).</summary>
    /// <param name="index">The input's position among the recorded inputs, from 0.</param>
    /// <returns>The traced shape, one size per dim.</returns>
    int[] InputShape(int index);

    /// <summary>The shape the node's output had when traced.</summary>
    int[] OutputShape { get; }

    /// <summary>
    /// Which dims of input <paramref name="index"/> change with the batch size (found by tracing the
    /// model at two batch sizes; all false when the file's batch is fixed): a lowering that writes a
    /// shape into the file keeps those dynamic.
    /// </summary>
    /// <param name="index">The input's position among the recorded inputs, from 0.</param>
    /// <returns>One flag per dim of the input, true for a dim that varies with the batch.</returns>
    bool[] InputBatchDims(int index);

    /// <summary>Which dims of the node's output change with the batch size (see <see cref="InputBatchDims"/>).</summary>
    bool[] OutputBatchDims { get; }

    /// <summary>
    /// Appends an ai.onnx node <paramref name="opType"/> of <paramref name="inputs"/> (value names;
    /// "" for an optional input left out) and returns the name of its single output.
    /// </summary>
    /// <param name="opType">The ONNX operator, e.g. <c>Gemm</c>.</param>
    /// <param name="inputs">The value names of its inputs, in the operator's order; empty for an omitted optional input.</param>
    /// <param name="attributes">The node's attributes.</param>
    /// <returns>The value name of the node's output.</returns>
    string Node(string opType, IReadOnlyList<string> inputs, params OnnxAttribute[] attributes);

    /// <summary>Appends an ai.onnx node with <paramref name="outputCount"/> outputs and returns their names in order.</summary>
    /// <param name="opType">The ONNX operator, e.g. <c>LSTM</c>.</param>
    /// <param name="inputs">The value names of its inputs, in the operator's order; empty for an omitted optional input.</param>
    /// <param name="outputCount">How many outputs the node has.</param>
    /// <param name="attributes">The node's attributes.</param>
    /// <returns>The value names of the node's <paramref name="outputCount"/> outputs, in the operator's order.</returns>
    string[] Node(string opType, IReadOnlyList<string> inputs, int outputCount, params OnnxAttribute[] attributes);

    /// <summary>A float32 constant of shape <paramref name="dims"/> (a scalar when empty), returning its value name.</summary>
    /// <param name="values">The float32 values, row-major.</param>
    /// <param name="dims">The constant's shape.</param>
    /// <returns>The constant's value name.</returns>
    string Constant(float[] values, int[] dims);

    /// <summary>A 1-D int64 constant, for the shape and axes inputs of Reshape, ReduceSum and the like.</summary>
    /// <param name="values">The int64 values, a 1-d constant.</param>
    /// <returns>The constant's value name.</returns>
    string Int64s(long[] values);

    /// <summary>
    /// The value name of a tensor the definition holds rather than records as an input (batch norm's
    /// running statistics): its state-dict name when it is a parameter or buffer of the model, else a constant.
    /// </summary>
    /// <param name="value">The tensor stored as an initializer, e.g. a weight.</param>
    /// <returns>The value name of the initializer or constant that holds it.</returns>
    string Tensor(Tensor value);
}
