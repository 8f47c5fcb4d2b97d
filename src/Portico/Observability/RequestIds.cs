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

    public static string Resolve(HttpContext context)
    {
        var sent = context.Request.Headers[Header];
        if (sent.Count == 1 && sent[0] is { Length: > 0 and <= 128 } id && id.All(c => c is > ' ' and < (char)127 && c != '"' && c != '\\'))
        {
            context.TraceIdentifier = id;
            return id;
        }

        var generated = context.TraceIdentifier;
        context.Request.Headers[Header] = generated;
        return generated;
    }
}
