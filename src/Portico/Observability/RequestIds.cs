using Microsoft.AspNetCore.Http;

namespace Portico.Observability;

/// <summary>
/// X-Request-Id: a client's or an upstream proxy's id is kept when it is short and printable,
/// otherwise Kestrel's own connection-and-sequence id is used. Either way the id goes to the
/// backend, back to the client, into the access log and onto Portico's own error pages.
/// </summary>
internal static class RequestIds
{
    public const string Header = "X-Request-Id";

    /// <summary>A client's id when it can be kept: 1–128 visible ASCII characters without quotes or backslashes; else null.</summary>
    public static string? Usable(string? id)
        => id is { Length: > 0 and <= 128 } && id.All(c => c is > ' ' and < (char)127 && c != '"' && c != '\\') ? id : null;

    public static string Resolve(HttpContext context)
    {
        var sent = context.Request.Headers[Header];
        if (sent.Count == 1 && Usable(sent[0]) is { } id)
        {
            context.TraceIdentifier = id;
            return id;
        }

        var generated = context.TraceIdentifier;
        context.Request.Headers[Header] = generated;
        return generated;
    }
}
