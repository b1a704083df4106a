using Backprop;

namespace Backprop.Samples.GradientPenalty;

/// <summary>
/// The two point clouds the critic tells apart: "real" points spread evenly on a circle of radius
/// <see cref="Radius"/>, "fake" points from a narrow Gaussian blob at the origin (a generator that has
/// not learned anything yet). The Wasserstein-1 distance between them is known in closed form, so the
/// critic's estimate of it can be checked.
/// </summary>
internal sealed class RingAndBlob(Generator generator, double radius = 2.0, double blobStd = 0.2)
{
    public double Radius { get; } = radius;

    public double BlobStd { get; } = blobStd;

    /// <summary>
    /// W₁ = R − σ·√(π/2). The 1-Lipschitz function |x| gives the lower bound E|x_real| − E|x_fake| =
    /// R − E|z|, and moving each blob point radially out to the circle is a coupling that costs the same
    /// R − |z| per point (up to the blob's negligible mass beyond the circle), so the two bounds meet.
    /// E|z| for a 2-D Gaussian of standard deviation σ is the Rayleigh mean σ·√(π/2).
    /// </summary>
    public double Wasserstein1 => Radius - (BlobStd * Math.Sqrt(Math.PI / 2));

    /// <summary><paramref name="count"/> points uniform on the circle: a 2-D Gaussian sample scaled to length R.</summary>
    public Tensor Real(int count)
    {
        var z = Tensor.Randn([count, 2], generator);
        return Radius * z / (z * z).Sum(1, keepDim: true).Sqrt();
    }

    /// <summary><paramref name="count"/> points of the blob N(0, σ²I).</summary>
    public Tensor Fake(int count) => BlobStd * Tensor.Randn([count, 2], generator);
}
