using System.Net;

namespace Portico.RateLimiting;

/// <summary>
/// What <see cref="RateLimitKeys"/> reads of a request: the full pipeline's HttpContext, or the
/// fast path's request head, so both count a request under the same key.
/// </summary>
internal interface IRateLimitRequest
{
    /// <summary>The field's values joined by commas, as Kestrel's header dictionary gives them; empty when absent.</summary>
    string Header(string name);

    /// <summary>The first value of the claim authentication put on the request; null when none.</summary>
    string? Claim(string type);

    /// <summary>The client address, trusted proxies' X-Forwarded-For resolved.</summary>
    IPAddress Client();
}
