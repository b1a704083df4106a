using System.Globalization;

namespace Backprop.Optim;

/// <summary>
/// Reading and checking the state dicts of the learning-rate schedules, whose entries are all
/// rank-0 float64 tensors: every error is collected, so one message names them all.
/// </summary>
internal static class SchedulerState
{
    /// <summary>
    /// The values of <paramref name="stateDict"/> under <paramref name="keys"/>, or an
    /// <see cref="ArgumentException"/> naming each missing, unexpected or ill-typed entry.
    /// </summary>
    public static Dictionary<string, double> Read(IReadOnlyDictionary<string, Tensor> stateDict, IEnumerable<string> keys, string owner)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var expected = keys.ToHashSet(StringComparer.Ordinal);
        var errors = new List<string>();
        foreach (string key in stateDict.Keys.Where(k => !expected.Contains(k)))
        {
            errors.Add($"unexpected key '{key}'");
        }

        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string key in expected)
        {
            if (!stateDict.TryGetValue(key, out var t))
            {
                errors.Add($"missing key '{key}'");
            }
            else if (t.DType != DType.Float64 || t.Rank != 0)
            {
                errors.Add($"'{key}' is {t.DType.Name()} {Shapes.Format(t._shape)}, expected a rank-0 float64 tensor");
            }
            else
            {
                values[key] = t.F64[0];
            }
        }

        ThrowIfAny(errors, owner);
        return values;
    }

    /// <summary>Adds an error unless the value under <paramref name="key"/> is a whole number in [0, int.MaxValue].</summary>
    public static void RequireCount(IReadOnlyDictionary<string, double> state, string key, List<string> errors)
    {
        double v = state[key];
        if (!(v >= 0 && v <= int.MaxValue && v == Math.Floor(v)))
        {
            errors.Add($"'{key}' is {v.ToString(CultureInfo.InvariantCulture)}, expected a non-negative integer");
        }
    }

    /// <summary>Adds an error unless the value under <paramref name="key"/> is finite and ≥ 0.</summary>
    public static void RequireNonNegative(IReadOnlyDictionary<string, double> state, string key, List<string> errors)
    {
        double v = state[key];
        if (!(v >= 0 && double.IsFinite(v)))
        {
            errors.Add($"'{key}' is {v.ToString(CultureInfo.InvariantCulture)}, expected a finite number ≥ 0");
        }
    }

    /// <summary>Throws one <see cref="ArgumentException"/> listing <paramref name="errors"/>, if there are any.</summary>
    public static void ThrowIfAny(List<string> errors, string owner)
    {
        if (errors.Count > 0)
        {
            throw new ArgumentException($"{owner}.LoadStateDict: {string.Join("; ", errors)}");
        }
    }
}
