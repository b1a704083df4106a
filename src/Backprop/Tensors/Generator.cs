namespace Backprop;

/// <summary>
/// A seeded pseudo-random number generator (xoshiro256**), the equivalent of <c>torch.Generator</c>.
/// Its whole state is four 64-bit words, so checkpoints can save and restore it exactly and the
/// same seed gives the same numbers on every machine and .NET version.
/// </summary>
public sealed class Generator
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>The generator used when none is passed (as PyTorch's default generator).</summary>
    public static Generator Default { get; } = new(0);

    /// <summary>Creates a generator seeded with <paramref name="seed"/>.</summary>
    /// <param name="seed">Any 64-bit value; the same seed gives the same sequence.</param>
    public Generator(long seed) => ManualSeed(seed);

    /// <summary>Re-seeds the generator (<c>torch.Generator.manual_seed</c>).</summary>
    /// <param name="seed">Any 64-bit value; the same seed gives the same sequence.</param>
    /// <returns>This generator, for chaining.</returns>
    public Generator ManualSeed(long seed)
    {
        // SplitMix64 expands the seed into the four state words, as the xoshiro authors advise.
        ulong x = (ulong)seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
        return this;
    }

    /// <summary>The full state, for checkpoints (<c>get_state</c>).</summary>
    /// <returns>A new array of the four 64-bit state words.</returns>
    public ulong[] GetState() => [_s0, _s1, _s2, _s3];

    /// <summary>Restores a state returned by <see cref="GetState"/> (<c>set_state</c>).</summary>
    /// <param name="state">The four words from <see cref="GetState"/>, not all zero.</param>
    public void SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 4)
        {
            throw new ArgumentException($"Generator.SetState: expected 4 state words, got {state.Length}");
        }

        if ((state[0] | state[1] | state[2] | state[3]) == 0)
        {
            throw new ArgumentException("Generator.SetState: the all-zero state is invalid for xoshiro256**");
        }

        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
    }

    /// <summary>The next 64 random bits.</summary>
    /// <returns>64 uniformly random bits.</returns>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    /// <returns>A double in [0, 1), a multiple of 2⁻⁵³.</returns>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    /// <param name="maxExclusive">The bound, not drawn; positive.</param>
    /// <returns>An integer in [0, <paramref name="maxExclusive"/>).</returns>
    public long NextInt64(long maxExclusive)
    {
        if (maxExclusive <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxExclusive), $"NextInt64: bound must be positive, got {maxExclusive}");
        }

        ulong bound = (ulong)maxExclusive;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            if (r >= threshold)
            {
                return (long)(r % bound);
            }
        }
    }

    /// <summary>A standard normal sample (Box–Muller; one of the pair is discarded so the state stays four words).</summary>
    /// <returns>A sample of the normal distribution with mean 0 and standard deviation 1.</returns>
    public double NextNormal()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1]: log is finite
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates).</summary>
    /// <param name="items">The items, permuted in place.</param>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = (int)NextInt64(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
