namespace Backprop.NN;

/// <summary>Which fan Kaiming initialization preserves the variance of (PyTorch's <c>mode='fan_in'|'fan_out'</c>).</summary>
public enum FanMode
{
    /// <summary>fan_in = size(1) × receptive field: preserves the variance of activations in the forward pass.</summary>
    FanIn,

    /// <summary>fan_out = size(0) × receptive field: preserves the variance of gradients in the backward pass.</summary>
    FanOut,
}
