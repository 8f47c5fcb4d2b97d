using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Portico.Auth;
using Portico.Configuration.Model;

namespace Portico.Caching;

/// <summary>What the cache needs to know about one GET or HEAD on a cached route, read once.</summary>
internal sealed class CacheRequest
{
    public required string RouteId { get; init; }

    public required RouteCacheSettings Settings { get; init; }

    public required CacheSettings Store { get; init; }

    public required string Key { get; init; }

    /// <summary>The request's Accept-Encoding as variants are keyed on it (see <see cref="VaryKeys"/>).</summary>
    public required string AcceptEncoding { get; init; }

    public required CacheDirectives Directives { get; init; }

    /// <summary>`no-cache`, or `Pragma: no-cache` without Cache-Control (RFC 9111 §5.4).</summary>
    public bool NoCache { get; init; }

    public bool Authorized { get; init; }

    /// <summary>Range or conditional fields: such a request is answered on its own, not collapsed.</summary>
    public bool Conditional { get; init; }

    /// <summary>Collapsing key: one flight per URL and negotiated coding.</summary>
    public string FlightKey => Key + "\n" + AcceptEncoding;

    public static CacheRequest For(HttpContext context, RouteSettings route, CacheSettings store)
    {
        var headers = context.Request.Headers;
        var directives = CacheDirectives.Parse(headers.CacheControl);
        var acceptEncoding = VaryKeys.AcceptEncodingKey(route.Compression, headers.AcceptEncoding);
        return new CacheRequest
        {
            RouteId = route.Id,
            Settings = route.Cache!,
            Store = store,
            Key = route.Cache!.Key is { } rules ? CacheKeyRules.Of(context, rules, acceptEncoding) : CacheKey.Of(context.Request),
            AcceptEncoding = acceptEncoding,
            Directives = directives,
            NoCache = directives.NoCache || (headers.CacheControl.Count == 0 && headers.Pragma.Any(p => p != null && p.Contains("no-cache", StringComparison.OrdinalIgnoreCase))),
            // A request the auth stage let in counts as authorized (§3.5) even when its
            // credentials were an API key or were removed before forwarding.
            Authorized = headers.ContainsKey(HeaderNames.Authorization) || context.Features.Get<AuthIdentity>() is not null,
            Conditional = headers.ContainsKey(HeaderNames.Range) || headers.ContainsKey(HeaderNames.IfNoneMatch) || headers.ContainsKey(HeaderNames.IfModifiedSince)
                || headers.ContainsKey(HeaderNames.IfMatch) || headers.ContainsKey(HeaderNames.IfUnmodifiedSince),
        };
    }

    /// <summary>§3.5: a response to, or reused for, a request with Authorization needs one of these.</summary>
    public static bool AllowsAuthorized(CacheDirectives d) => d.Public || d.SharedMaxAge is not null || d.MustRevalidate;
}
