using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace Portico.Caching;

/// <summary>
/// The primary cache key (RFC 9111 §4): the target URI, with scheme and host lower-cased. The
/// purge endpoint takes the same form, so a URL or a prefix of one names stored entries.
/// Written once (<see cref="Of(ReadOnlySpan{char}, ReadOnlySpan{char}, ReadOnlySpan{char}, ReadOnlySpan{char})"/>)
/// for the full path's request and the fast path's head.
/// </summary>
internal static class CacheKey
{
    public static string Of(HttpRequest request)
        => Of(request.Scheme, request.Host.Value, request.PathBase.Value, string.Concat(request.Path.Value, request.QueryString.Value));

    /// <summary>scheme "://" host, both lower-cased, then the path base and the target (path and query) as they are.</summary>
    public static string Of(ReadOnlySpan<char> scheme, ReadOnlySpan<char> host, ReadOnlySpan<char> pathBase, ReadOnlySpan<char> target)
    {
        var length = scheme.Length + 3 + host.Length + pathBase.Length + target.Length;
        char[]? rented = null;
        var chars = length <= 512 ? stackalloc char[512] : (rented = ArrayPool<char>.Shared.Rent(length));
        var at = scheme.ToLowerInvariant(chars);
        "://".CopyTo(chars[at..]);
        at += 3;
        at += host.ToLowerInvariant(chars[at..]);
        pathBase.CopyTo(chars[at..]);
        at += pathBase.Length;
        target.CopyTo(chars[at..]);
        var key = new string(chars[..length]);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        return key;
    }

    /// <summary>The key of a `Location` or `Content-Location` value, when it is on the request's own origin (§4.4).</summary>
    public static string? OfReference(HttpRequest request, string? reference)
    {
        if (string.IsNullOrEmpty(reference))
        {
            return null;
        }

        var self = new Uri($"{request.Scheme}://{request.Host.Value}{request.PathBase.Value}{request.Path.Value}");
        if (!Uri.TryCreate(self, reference, out var target) || !string.Equals(target.GetLeftPart(UriPartial.Authority), self.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return string.Concat(target.Scheme, "://", target.Authority.ToLowerInvariant(), target.PathAndQuery);
    }

    /// <summary>An operator's URL for purging, in key form: `http://Host/p` → `http://host/p`; null when it is not an absolute http(s) URL.</summary>
    public static string? Normalize(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return null;
        }

        var authority = url[(uri.Scheme.Length + 3)..];
        var slash = authority.IndexOf('/');
        var host = slash < 0 ? authority : authority[..slash];
        return string.Concat(uri.Scheme, "://", host.ToLowerInvariant(), slash < 0 ? "" : authority[slash..]);
    }
}
