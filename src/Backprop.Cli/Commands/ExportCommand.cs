using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Backprop.Cli.Training;
using Backprop.Onnx;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>backprop export MODEL --onnx out.onnx</c>: writes a model trained by <c>backprop train</c> as a
/// standard ONNX file (input: raw features divided by the model's input scale; output: logits).
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "A model.safetensors written by backprop train." };
        var onnx = new Option<string>("--onnx") { Description = "The ONNX file to write.", Required = true };
        var opset = new Option<int>("--opset") { Description = $"ai.onnx opset version ({OnnxExport.MinOpset} to {OnnxExport.MaxOpset}).", DefaultValueFactory = _ => OnnxExport.DefaultOpset };
        var spec = new Option<string?>("--model") { Description = "The architecture of a plain state dict without backprop's metadata (e.g. saved from PyTorch with the same keys): 64-128-10:relu, cnn:784-10, lstm-784-128-10. The input is read as backprop train reads it." };
        var scaleInput = new Option<bool>("--scale-input") { Description = "Put the division of raw features by the model's input scale into the graph, so the file takes raw features (pixels 0..255)." };
        var command = new Command("export", "Export a trained model as an ONNX file (opset 17 by default, dynamic batch size).") { model, onnx, opset, spec, scaleInput };
        command.SetAction(result => CommandRunner.Run("export", () => Run(result.GetValue(model)!, result.GetValue(onnx)!, result.GetValue(opset), result.GetValue(spec), result.GetValue(scaleInput))));
        return command;
    }

    private static int Run(string modelPath, string onnxPath, int opset, string? modelSpec, bool scaleInput)
    {
        var trained = ModelFile.Load(modelPath, modelSpec);
        var (model, spec, data) = (trained.Model, trained.Spec, trained.Data);
        string scale = trained.InputScale.ToString("R", CultureInfo.InvariantCulture);
        var metadata = new Dictionary<string, string>
        {
            [ModelFile.SpecKey] = spec.ToString(),
            [ModelFile.ClassesKey] = trained.Classes.ToString(CultureInfo.InvariantCulture),
            [ModelFile.DataKey] = data,
            [ModelFile.InputScaleKey] = scaleInput ? "1" : scale,
        };
        if (trained.ClassNames is not null)
        {
            // Output i is the logit of this class: a consumer of the ONNX file needs the names as much as the model does.
            metadata[ModelFile.ClassNamesKey] = JsonSerializer.Serialize(trained.ClassNames);
        }

        string standardized = "";
        if (trained.Standardization is { } stats)
        {
            if (scaleInput && trained.InputScale != 1)
            {
                throw new ArgumentException($"--scale-input: the model was trained with --standardize, which comes after the division and which the graph does not hold; export without --scale-input and give the file (x / {scale} - mean) / std");
            }

            // train --standardize: the graph takes standardized features; a consumer needs the statistics.
            metadata[ModelFile.FeatureMeanKey] = JsonSerializer.Serialize(stats.Mean);
            metadata[ModelFile.FeatureStdKey] = JsonSerializer.Serialize(stats.Std);
            standardized = $", then standardized: (value - {ModelFile.FeatureMeanKey}) / {ModelFile.FeatureStdKey} per feature, from this file's metadata";
        }

        var options = new OnnxExportOptions
        {
            Opset = opset,
            DocString = $"{spec} trained by backprop on {data}: input (batch, {spec.InFeatures}) = {InputText(scale, scaleInput)}{standardized}; output (batch, {spec.OutFeatures}) = logits (softmax for probabilities).",
            Metadata = metadata,
            InputScale = scaleInput ? trained.InputScale : 1,
        };
        string fullPath = Path.GetFullPath(onnxPath);
        string folder = Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"--onnx: folder not found: {folder}");
        }

        try
        {
            OnnxExport.Save(model, fullPath, [1, spec.InFeatures], options);
        }
        catch (UnauthorizedAccessException)
        {
            // The raw message names the hidden temporary file; the user knows only the target.
            throw new UnauthorizedAccessException($"--onnx: cannot write {fullPath}: permission denied");
        }
        catch (IOException ex)
        {
            throw new IOException($"--onnx: cannot write {fullPath}: {ex.Message}");
        }

        Console.WriteLine($"wrote {fullPath}: {spec}, opset {opset}, input (batch, {spec.InFeatures}) = {InputText(scale, scaleInput)}, output (batch, {spec.OutFeatures}) logits");
        return 0;
    }

    private static string InputText(string scale, bool scaleInput) =>
        scaleInput ? $"raw features (the file divides them by {scale})" : $"raw features / {scale}";
}
