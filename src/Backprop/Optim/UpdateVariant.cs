namespace Backprop.Optim;

/// <summary>
/// Which of an update rule's optional parts the loop compiled for it may meet. The JIT tests a flag
/// that varies at run time at every vector (it does not move such tests out of the loop), so each
/// rule also compiles a loop for its common setting, where those tests are constants and vanish;
/// each rule says what its common setting is. Over the benchmark MLP's 235K parameters on one thread
/// (block 14 of docs/performance-history.md): Adam 116–124 → 85–86 µs a step, SGD with momentum
/// 66 → 44.
/// </summary>
internal interface IUpdateVariant
{
    /// <summary>Whether the optional parts are tested at run time (false: the rule's common setting holds).</summary>
    static abstract bool Extended { get; }

    /// <summary>Whether the common setting includes decoupled weight decay (AdamW's).</summary>
    static abstract bool Decays { get; }
}

/// <summary>The rule's common setting, with nothing optional.</summary>
internal readonly struct CommonUpdate : IUpdateVariant
{
    public static bool Extended => false;

    public static bool Decays => false;
}

/// <summary>The rule's common setting after decoupled weight decay (AdamW as usually set).</summary>
internal readonly struct DecayingUpdate : IUpdateVariant
{
    public static bool Extended => false;

    public static bool Decays => true;
}

/// <summary>Any setting: the optional parts are tested at run time.</summary>
internal readonly struct ExtendedUpdate : IUpdateVariant
{
    public static bool Extended => true;

    public static bool Decays => false;
}
