namespace Backprop.Serve;

/// <summary>
/// What one request may ask of <c>backprop serve</c>. Each request is computed at once and in full,
/// so these bound its time and memory: a request beyond them is answered 4xx with a message that
/// names the limit, never computed.
/// </summary>
public static class ServeLimits
{
    /// <summary>Bytes of a request body (a POSTed program): larger bodies get 413.</summary>
    public const int MaxRequestBodyBytes = 64 * 1024;

    /// <summary>Bytes of the request line (the URL of a GET, which carries the program when a link is shared).</summary>
    public const int MaxRequestLineBytes = 64 * 1024;

    /// <summary>Characters of a program.</summary>
    public const int MaxProgramLength = 10_000;

    /// <summary>Nodes of a program's graph (inputs, constants and operations).</summary>
    public const int MaxNodes = 1_000;

    /// <summary>Refuses a program whose graph has more than <see cref="MaxNodes"/> nodes (checked before its explanation is computed).</summary>
    /// <param name="nodes">The node count of the program's graph.</param>
    public static void RequireNodes(int nodes)
    {
        if (nodes > MaxNodes)
        {
            throw new RequestException($"the program's graph has {nodes:N0} nodes; the limit is {MaxNodes:N0}");
        }
    }

    /// <summary>Input values given to a program (each costs a finite-difference check over the whole graph); in the matrix form, their entries in all.</summary>
    public const int MaxInputs = 200;

    /// <summary>Entries of one value in the matrix form (20×20): an operation whose result would be larger is refused before it is computed.</summary>
    public const int MaxEntries = 400;

    /// <summary>Entries of all the values of a matrix-form program's graph together (what the page is sent, several times over).</summary>
    public const int MaxTotalEntries = 20_000;

    /// <summary>Characters of the input values' text (<c>at</c>).</summary>
    public const int MaxValuesLength = 10_000;
}
