using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Portico.Configuration.Model;

namespace Portico.Compression;

/// <summary>
/// The rules of response compression that both paths apply, each written once: the full
/// pipeline's <see cref="CompressingResponseBody"/> reads them from the response's header
/// dictionary, the fast path (FastPath/FastCodingHead) from the backend's head as bytes.
/// </summary>
internal static class ResponseEncoding
{
    /// <summary>
    /// The `Accept-Encoding` the backend is sent for the coding chosen (null: none): only the coding
    /// Portico would produce, so what comes back is already in it (passed on as is) or identity,
    /// which Portico encodes.
    /// </summary>
    public static string ForBackend(string? coding) => coding ?? "identity";

    /// <summary>
    /// Whether the response is encoded in <paramref name="coding"/> (null: the client accepts
    /// none of the route's), from the fields left once hidden ones are gone.
    /// </summary>
    /// <param name="contentType">The Content-Type value (lines joined with ",").</param>
    /// <param name="varies">A Vary value names Accept-Encoding already.</param>
    /// <param name="contentEncoding">The Content-Encoding value (lines joined with ","), "" when none.</param>
    /// <param name="noTransform">A Cache-Control value names no-transform.</param>
    public static EncodingVerdict Judge(
        CompressionSettings settings, string? coding, int status, string? contentType, bool varies, string contentEncoding, long? contentLength, bool noTransform)
    {
        // Never a 206: its Content-Range counts bytes of the representation the origin sent.
        if (status is < 200 or 204 or 206 or 304 || !CompressionNegotiator.IsCompressible(settings, contentType))
        {
            return default;
        }

        // Already encoded (never re-encode), not acceptable to the client, too small, or the
        // origin forbids transformation (RFC 9110 §7.7).
        var encodes = coding is not null
            && (contentEncoding.Length == 0 || contentEncoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
            && !(contentLength < settings.MinSizeBytes)
            && !noTransform;
        return new EncodingVerdict(!varies, encodes);
    }

    /// <summary>
    /// The verdict on <paramref name="response"/> from its header dictionary, and the head as the
    /// compression stage leaves it: `Vary: Accept-Encoding` appended where the verdict adds it;
    /// for an encoded body, Content-Encoding set, Content-Length and Accept-Ranges gone, a strong
    /// ETag weakened. The full pipeline's stage (<see cref="CompressingResponseBody"/>) and the fast
    /// path's cache misses (FastPath/FastMiss, whose stored head is the one the cache stage stores
    /// outside this stage) both make it here.
    /// </summary>
    public static EncodingVerdict Encode(HttpResponse response, CompressionSettings settings, string? coding)
    {
        var headers = response.Headers;
        var verdict = Judge(
            settings,
            coding,
            response.StatusCode,
            response.ContentType,
            headers.Vary.Any(v => v != null && NamesAcceptEncoding(v)),
            headers.ContentEncoding.ToString(),
            response.ContentLength,
            ForbidsTransform(headers.CacheControl.ToString()));
        if (verdict.AddsVary)
        {
            headers.Append(HeaderNames.Vary, "Accept-Encoding");
        }

        if (verdict.Encodes)
        {
            headers.ContentEncoding = coding;
            response.ContentLength = null;
            headers.Remove(HeaderNames.AcceptRanges);
            var etag = headers.ETag.ToString();
            if (IsStrong(etag))
            {
                headers.ETag = "W/" + etag;
            }
        }

        return verdict;
    }

    /// <summary>Whether a Vary value already names Accept-Encoding.</summary>
    public static bool NamesAcceptEncoding(ReadOnlySpan<char> vary) => vary.Contains("Accept-Encoding", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a Cache-Control value forbids transforming the body (RFC 9110 §7.7).</summary>
    public static bool ForbidsTransform(ReadOnlySpan<char> cacheControl) => cacheControl.Contains("no-transform", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether an ETag is strong; an encoded body's is weakened with "W/" (RFC 9110 §8.8.3: a strong validator names exact bytes, and ours differ from the origin's).</summary>
    public static bool IsStrong(ReadOnlySpan<char> etag) => etag.Length > 0 && !etag.StartsWith("W/", StringComparison.Ordinal);

    /// <summary>
    /// Whether each write of the body is flushed through the encoder: a body of unknown length
    /// may be a stream whose parts must reach the client as they come (events, long polls); a
    /// body of known length is one document, encoded in bulk.
    /// </summary>
    public static bool FlushesEachWrite(bool lengthKnown) => !lengthKnown;
}
