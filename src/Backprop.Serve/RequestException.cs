using Microsoft.AspNetCore.Http;

namespace Backprop.Serve;

/// <summary>
/// A request the server refuses: the message says what is wrong in words a user can act on
/// (<c>'lr' must be a positive number, got 'abc'</c>), and becomes the body of a 4xx answer.
/// </summary>
internal sealed class RequestException(string message, int status = StatusCodes.Status400BadRequest) : Exception(message)
{
    /// <summary>The HTTP status to answer with (400 unless the request is too large: 413).</summary>
    public int Status { get; } = status;
}
