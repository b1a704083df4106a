using Backprop.Data;

namespace Backprop.Tests.Data;

/// <summary>A fact that is reported as skipped (with the reason) when Fashion-MNIST is not installed.</summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    public FashionMnistFactAttribute()
    {
        if (!Directory.Exists(FashionMnist.DefaultFolder))
        {
            Skip = $"{FashionMnist.DefaultFolder} is missing: apt-get install dataset-fashion-mnist";
        }
    }
}
