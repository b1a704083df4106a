namespace Backprop.NN;

/// <summary>The nonlinearity an initialization is scaled for (PyTorch's <c>nonlinearity=</c> strings); see <see cref="Init.CalculateGain"/>.</summary>
public enum Nonlinearity
{
    /// <summary><c>'linear'</c>: gain 1.</summary>
    Linear,

    /// <summary><c>'conv1d'</c>: gain 1.</summary>
    Conv1d,

    /// <summary><c>'conv2d'</c>: gain 1.</summary>
    Conv2d,

    /// <summary><c>'conv3d'</c>: gain 1.</summary>
    Conv3d,

    /// <summary><c>'sigmoid'</c>: gain 1.</summary>
    Sigmoid,

    /// <summary><c>'tanh'</c>: gain 5/3.</summary>
    Tanh,

    /// <summary><c>'relu'</c>: gain √2.</summary>
    Relu,

    /// <summary><c>'leaky_relu'</c>: gain √(2 / (1 + a²)) for negative slope a (default 0.01).</summary>
    LeakyRelu,

    /// <summary><c>'selu'</c>: gain 3/4.</summary>
    Selu,
}
