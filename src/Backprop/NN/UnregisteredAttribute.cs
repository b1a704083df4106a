namespace Backprop.NN;

/// <summary>
/// Excludes a field or auto-property of a <see cref="Module"/> from automatic discovery: a tensor
/// that is neither parameter nor buffer (a cache, a constant), or a module reference that is not a
/// child (PyTorch's plain attribute assigned outside <c>__setattr__</c> registration).
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = true, AllowMultiple = false)]
public sealed class UnregisteredAttribute : Attribute
{
}
