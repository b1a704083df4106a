namespace Backprop.Scalar;

/// <summary>The operation that recorded a node on a <see cref="Tape"/>; the same primitives as <see cref="Value"/>.</summary>
public enum TapeOp : byte
{
    /// <summary>An input, a parameter or a constant: no inputs (<see cref="Tape.Leaf"/>).</summary>
    Leaf,

    /// <summary>a + b.</summary>
    Add,

    /// <summary>a · b.</summary>
    Mul,

    /// <summary>xᵖ for a constant p.</summary>
    Pow,

    /// <summary>eˣ.</summary>
    Exp,

    /// <summary>ln x.</summary>
    Log,

    /// <summary>tanh x.</summary>
    Tanh,

    /// <summary>σ(x) = 1 / (1 + e⁻ˣ).</summary>
    Sigmoid,

    /// <summary>max(0, x).</summary>
    Relu,
}
