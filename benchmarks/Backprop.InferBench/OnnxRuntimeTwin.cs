using Backprop.Cli.Bench;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Backprop.InferBench;

/// <summary>
/// ONNX Runtime (CPU) as the twin of <c>bench infer</c>: one session per configuration on the model
/// Backprop exported, with <paramref name="threads"/> intra-op threads, one inter-op thread,
/// sequential execution and every graph optimization (ORT_ENABLE_ALL, ONNX Runtime's default).
/// </summary>
internal sealed class OnnxRuntimeTwin : IInferenceTwin
{
    /// <inheritdoc/>
    public string Name => "ort";

    /// <summary>ONNX Runtime's version, e.g. 1.31.1.</summary>
    public static string Version => OrtEnv.Instance().GetVersionString();

    /// <inheritdoc/>
    public IInferenceCall Prepare(string model, byte[] onnx, Tensor input, int threads) => new OnnxRuntimeCall(onnx, input, threads);

    /// <summary>The session settings of every configuration.</summary>
    public static SessionOptions Options(int threads) => new()
    {
        IntraOpNumThreads = threads,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
    };
}

/// <summary>
/// One session with its input and output prepared once, outside the timing: the input's floats in an
/// OrtValue over a pinned array, the output an OrtValue of its own that every run writes into, so a
/// run is the one <c>InferenceSession.Run(RunOptions, names, values, names, values)</c> call and no
/// managed allocation of results.
/// </summary>
internal sealed class OnnxRuntimeCall : IInferenceCall
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly OrtValue[] _inputs;
    private readonly OrtValue[] _outputs;

    public OnnxRuntimeCall(byte[] onnx, Tensor input, int threads)
    {
        using (var options = OnnxRuntimeTwin.Options(threads))
        {
            _session = new InferenceSession(onnx, options);
        }

        _inputNames = [_session.InputNames[0]];
        _outputNames = [_session.OutputNames[0]];
        long[] inputShape = [.. input.Shape.Select(d => (long)d)];
        _inputs = [OrtValue.CreateTensorValueFromMemory(input.ToArray<float>(), inputShape)];

        // The output's shape from the file, its symbolic batch dimension being the input's.
        long[] outputShape = [.. _session.OutputMetadata[_outputNames[0]].Dimensions.Select(d => d < 0 ? inputShape[0] : (long)d)];
        _outputs = [OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, outputShape)];
    }

    /// <summary>The last run's output, (batch, classes) row by row.</summary>
    public ReadOnlySpan<float> Output => _outputs[0].GetTensorDataAsSpan<float>();

    /// <inheritdoc/>
    public void Run() => _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var value in _inputs.Concat(_outputs))
        {
            value.Dispose();
        }

        _runOptions.Dispose();
        _session.Dispose();
    }
}
