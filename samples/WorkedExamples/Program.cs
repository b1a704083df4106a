// The worked examples of docs/design.md §1, each with the scalar engine and the tensor engine.
// Run: dotnet run --project samples/WorkedExamples
using Backprop;
using Backprop.Scalar;

// f(a, b, c) = a·b + c: ∂f/∂a = b, ∂f/∂b = a, ∂f/∂c = 1.
var a = new Value(2.0, "a");
var b = new Value(-3.0, "b");
var c = new Value(10.0, "c");
var f = (a * b) + c;
f.Backward();
Console.WriteLine($"f = a·b + c = {f.Data}: df/da = {a.Grad}, df/db = {b.Grad}, df/dc = {c.Grad}");

// g = −2·w1, y = w2 + g, z = y·w3 at (3, 4, 5): z = −10, ∂z/∂w = (−10, 5, −2).
var w1 = Tensor.Scalar(3, DType.Float64, requiresGrad: true);
var w2 = Tensor.Scalar(4, DType.Float64, requiresGrad: true);
var w3 = Tensor.Scalar(5, DType.Float64, requiresGrad: true);
var z = (w2 + (-2.0 * w1)) * w3;
z.Backward();
Console.WriteLine($"z = {z.Item()}: dz/dw1 = {w1.Grad!.Item()}, dz/dw2 = {w2.Grad!.Item()}, dz/dw3 = {w3.Grad!.Item()}");

// The 2-2-2 sigmoid network (columns of W1 feed h1 and h2; biases held), 10,000 steps of η = 0.5.
var x = Tensor.FromArray(new[] { 0.05, 0.10 }, 1, 2);
var t = Tensor.FromArray(new[] { 0.01, 0.99 }, 1, 2);
var layer1 = Tensor.FromArray(new[] { 0.15, 0.25, 0.20, 0.30 }, 2, 2).RequiresGrad_();
var layer2 = Tensor.FromArray(new[] { 0.40, 0.50, 0.45, 0.55 }, 2, 2).RequiresGrad_();
for (int step = 0; step <= 10_000; step++)
{
    var output = ((x.Matmul(layer1) + 0.35).Sigmoid().Matmul(layer2) + 0.60).Sigmoid();
    var error = 0.5 * (t - output).Pow(2).Sum();
    if (step is 0 or 1 or 10_000)
    {
        Console.WriteLine($"step {step,5}: E = {error.Item():F9}");
    }

    error.Backward();
    using (Autograd.NoGrad())
    {
        layer1 = (layer1 - (0.5 * layer1.Grad!)).RequiresGrad_();
        layer2 = (layer2 - (0.5 * layer2.Grad!)).RequiresGrad_();
    }
}
