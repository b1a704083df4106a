namespace Backprop.Serialization;

/// <summary>
/// Everything needed to resume training exactly where it stopped (what a PyTorch user puts in the
/// dictionary passed to <c>torch.save</c>: <c>model.state_dict()</c>, <c>optimizer.state_dict()</c>,
/// the epoch and the RNG states).
/// </summary>
/// <param name="Model">The model's state dict (<c>Module.StateDict()</c>), keyed by dotted names such as <c>layers.0.weight</c>.</param>
/// <param name="Optimizer">The optimizer's state as tensors (for example momentum buffers and step counts), keyed by name.</param>
/// <param name="Epoch">The number of completed epochs; training resumes at this epoch index.</param>
/// <param name="GeneratorStates">Named <see cref="Generator"/> states (<see cref="Generator.GetState"/>: four words each), for example <c>data_loader</c> and <c>dropout</c>.</param>
/// <param name="Metadata">Free string metadata, for example the model spec and the training options as JSON.</param>
public sealed record CheckpointData(
    Dictionary<string, Tensor> Model,
    Dictionary<string, Tensor> Optimizer,
    int Epoch,
    Dictionary<string, ulong[]> GeneratorStates,
    Dictionary<string, string> Metadata);
