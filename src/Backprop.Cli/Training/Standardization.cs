using Backprop.Data;

namespace Backprop.Cli.Training;

/// <summary>
/// <c>train --standardize</c>: each feature's mean and standard deviation over the training split
/// (population, as scikit-learn's <c>StandardScaler</c>), applied as z = (x − mean) / std in float32
/// to the training and test splits, and kept in the model file so <c>eval</c> and <c>predict</c>
/// apply the same to their input. A constant column (std 0) is divided by 1, so it becomes 0
/// instead of NaN. The statistics are of the features as the model receives them, after the input
/// scale (pixels / 16 for digits).
/// </summary>
/// <param name="Mean">The mean of each feature, as float32.</param>
/// <param name="Std">The standard deviation of each feature, as float32; 1 for a constant feature.</param>
internal sealed record Standardization(float[] Mean, float[] Std)
{
    /// <summary>The statistics of <paramref name="features"/> [N, F] (float32 or float64), computed in float64.</summary>
    public static Standardization Of(Tensor features)
    {
        int n = features.Size(0), f = features.Size(1);
        double[] values = features.ToArray<double>();
        var mean = new double[f];
        var variance = new double[f];
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < f; c++)
            {
                mean[c] += values[(r * f) + c];
            }
        }

        for (int c = 0; c < f; c++)
        {
            mean[c] /= Math.Max(n, 1);
        }

        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < f; c++)
            {
                double d = values[(r * f) + c] - mean[c];
                variance[c] += d * d;
            }
        }

        var std = new float[f];
        for (int c = 0; c < f; c++)
        {
            float s = (float)Math.Sqrt(variance[c] / Math.Max(n, 1));
            std[c] = s > 0 && float.IsFinite(s) ? s : 1;
        }

        return new Standardization(Array.ConvertAll(mean, m => (float)m), std);
    }

    /// <summary>(x − mean) / std, feature by feature, for rows <paramref name="x"/> [N, F] (float32 tensor ops).</summary>
    public Tensor Apply(Tensor x)
    {
        int f = Mean.Length;
        return (x - Tensor.FromArray(Mean, 1, f).To(x.DType)) / Tensor.FromArray(Std, 1, f).To(x.DType);
    }

    /// <summary>Both splits of <paramref name="data"/> standardized with its training split's statistics.</summary>
    public static DataSource Standardize(DataSource data)
    {
        if (data.Train is not TensorDataset train || data.Test is not TensorDataset test || train.Features.Rank != 2)
        {
            throw new ArgumentException($"--standardize: {data.Name} is not a table of features (it is for CSV files, moons and digits; images are scaled to [0, 1] already)");
        }

        var stats = Of(train.Features);
        return data with
        {
            Train = new TensorDataset(stats.Apply(train.Features), train.Labels),
            Test = new TensorDataset(stats.Apply(test.Features), test.Labels),
            Standardization = stats,
        };
    }
}
