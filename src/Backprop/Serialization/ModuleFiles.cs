using Backprop.NN;

namespace Backprop.Serialization;

/// <summary>
/// Saving and loading a module's weights as a file, the way PyTorch users do it
/// (<c>torch.save(model.state_dict(), path)</c>, <c>model.load_state_dict(torch.load(path))</c>),
/// in the safetensors format (<c>safetensors.torch.save_model</c> / <c>load_model</c>). These live
/// here rather than in <see cref="Module"/>, because the NN layer knows no files.
/// </summary>
public static class ModuleFiles
{
    extension(Module module)
    {
        /// <summary>
        /// Writes the module's state dict (parameters and buffers under PyTorch's keys) to
        /// <paramref name="path"/> as safetensors, atomically: an existing file is replaced only by a
        /// complete one. PyTorch reads it with <c>safetensors.torch.load_file(path)</c>.
        /// </summary>
        /// <param name="path">The file to write.</param>
        /// <param name="metadata">Optional string metadata stored in the file's header.</param>
        public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
        {
            ArgumentNullException.ThrowIfNull(module);
            SafeTensors.Save(path, module.StateDict(), metadata);
        }

        /// <summary>
        /// Loads a state dict from the safetensors file at <paramref name="path"/> into the module
        /// (<c>model.load_state_dict(safetensors.torch.load_file(path), strict)</c>): F16 and BF16
        /// weights are widened to float32; with <paramref name="strict"/> every key must match.
        /// </summary>
        /// <param name="path">A safetensors file, written by <see cref="Save"/> or by PyTorch.</param>
        /// <param name="strict">Whether missing or unexpected keys are an error (PyTorch's default).</param>
        /// <returns>The missing and unexpected keys (empty when strict).</returns>
        /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message names it.</exception>
        /// <exception cref="ArgumentException">A key or shape does not match the module; the message names it.</exception>
        public LoadStateDictResult LoadStateDict(string path, bool strict = true)
        {
            ArgumentNullException.ThrowIfNull(module);
            return module.LoadStateDict(SafeTensors.Load(path), strict);
        }
    }
}
