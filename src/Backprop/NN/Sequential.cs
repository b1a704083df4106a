using System.Collections;
using System.Globalization;

namespace Backprop.NN;

/// <summary>
/// A chain of modules applied in order, y = fₙ(…f₁(x)) (<c>torch.nn.Sequential</c>); children are keyed
/// <c>0</c>, <c>1</c>, … so parameters are named <c>0.weight</c>, <c>2.bias</c>, …. Supports collection
/// initializers: <c>new Sequential { new Linear(2, 16), new ReLU() }</c>.
/// </summary>
public sealed class Sequential : Module, IReadOnlyList<Module>
{
    [Unregistered]
    private readonly List<Module> _layers = [];

    /// <summary>Creates the chain from <paramref name="layers"/>, in order.</summary>
    /// <param name="layers">The modules, in the order they run.</param>
    public Sequential(params Module[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        foreach (var layer in layers)
        {
            Add(layer);
        }
    }

    /// <summary>The number of layers (<c>len(seq)</c>).</summary>
    public int Count => _layers.Count;

    /// <summary>Layer <paramref name="index"/>; negative indices count from the end (<c>seq[i]</c>).</summary>
    public Module this[int index]
    {
        get
        {
            int i = index < 0 ? index + _layers.Count : index;
            if (i < 0 || i >= _layers.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"Sequential: index {index} is out of range for {_layers.Count} layers");
            }

            return _layers[i];
        }
    }

    /// <summary>Appends <paramref name="layer"/> under the next key (<c>seq.append(module)</c>) and returns this chain.</summary>
    /// <param name="layer">The module appended, run after the others.</param>
    /// <returns>This chain, for chaining.</returns>
    public Sequential Add(Module layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        RegisterModule(_layers.Count.ToString(CultureInfo.InvariantCulture), layer);
        _layers.Add(layer);
        return this;
    }

    /// <summary>Applies every layer in order: the output of one is the input of the next.</summary>
    /// <param name="input">The first module's input.</param>
    /// <returns>The last layer's output; <paramref name="input"/> itself for an empty chain.</returns>
    public override Tensor Forward(Tensor input)
    {
        if (!Autograd.IsGradEnabled && !AnomalyMode.IsEnabled && !ForwardAD.IsActive)
        {
            return ForwardUnrecorded(input);
        }

        var x = input;
        foreach (var layer in _layers)
        {
            x = layer.Call(x);
        }

        return x;
    }

    /// <summary>
    /// The forward of an inference pass (nothing recorded): the same layers on the same values, but a
    /// ReLU whose input is a fresh intermediate (the output of a Linear, convolution or batch norm
    /// layer of this chain, which no one else holds: no hook saw it) is applied in place instead of
    /// into a new tensor, and a Linear followed by a ReLU computes both in one pass over its output.
    /// The results are bit-identical to the layer-by-layer forward.
    /// </summary>
    private Tensor ForwardUnrecorded(Tensor input)
    {
        var x = input;
        bool fresh = false;
        for (int i = 0; i < _layers.Count; i++)
        {
            var layer = _layers[i];
            if (layer is ReLU && !layer.HasHooks)
            {
                if (fresh)
                {
                    ActivationOps.ReluInPlace(x);
                    continue;
                }
            }
            else if (layer is Linear linear && !linear.HasHooks && i + 1 < _layers.Count && _layers[i + 1] is ReLU relu && !relu.HasHooks)
            {
                x = LinearOps.LinearRelu(x, linear.Weight, linear.Bias);
                i++;
                fresh = true;
                continue;
            }

            var output = layer.Call(x);
            fresh = !layer.HasHooks && layer is Linear or Conv1d or Conv2d or BatchNorm1d or BatchNorm2d && !ReferenceEquals(output._data, x._data) && !ReferenceEquals(output._data, input._data);
            x = output;
        }

        return x;
    }

    /// <inheritdoc/>
    public IEnumerator<Module> GetEnumerator() => _layers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
