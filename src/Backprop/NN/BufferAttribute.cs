namespace Backprop.NN;

/// <summary>
/// Marks a <see cref="Tensor"/> field or auto-property of a <see cref="Module"/> as a buffer: state
/// that is saved in <see cref="Module.StateDict"/> but not trained, such as BatchNorm's running
/// statistics (PyTorch's <c>register_buffer</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = true, AllowMultiple = false)]
public sealed class BufferAttribute : Attribute
{
}
