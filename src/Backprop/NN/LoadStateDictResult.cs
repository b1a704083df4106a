namespace Backprop.NN;

/// <summary>
/// What <see cref="Module.LoadStateDict"/> did not match when called with <c>strict: false</c>
/// (PyTorch's <c>_IncompatibleKeys(missing_keys, unexpected_keys)</c>).
/// </summary>
/// <param name="MissingKeys">Keys of the module that the state did not contain, in module order.</param>
/// <param name="UnexpectedKeys">Keys of the state that the module does not have, in state order.</param>
public sealed record LoadStateDictResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);
