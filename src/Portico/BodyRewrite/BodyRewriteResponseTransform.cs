using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Portico.Compression;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Pipeline;
using Yarp.ReverseProxy.Transforms;

namespace Portico.BodyRewrite;

/// <summary>
/// On a route with `bodyRewrite`, puts the rewriting between the backend's body and the stages
/// outside the forwarder: compression encodes what it produces and the cache stores it, so a
/// hit is never rewritten twice. It runs after the backend's fields were copied to the response,
/// and fixes those the new body falsifies.
/// </summary>
internal sealed class BodyRewriteResponseTransform(ActiveConfig config, BodyRewriteMetrics metrics, BodyRewriteLog log) : ResponseTransform
{
    // Each states something of the backend's exact bytes (RFC 9530 §2-3, RFC 1864), which
    // rewriting changes.
    private static readonly string[] BytesFields = [HeaderNames.ContentMD5, "Digest", "Content-Digest", "Repr-Digest"];

    public override ValueTask ApplyAsync(ResponseTransformContext context)
    {
        if (context.ProxyResponse is { } proxied && MatchedRoute.Of(context.HttpContext, config) is { BodyRewrite: { } settings } route)
        {
            Apply(context.HttpContext, proxied, route, settings);
        }

        return ValueTask.CompletedTask;
    }

    private void Apply(HttpContext context, HttpResponseMessage proxied, RouteSettings route, BodyRewriteSettings settings)
    {
        var response = context.Response;
        var headers = response.Headers;
        if (response.StatusCode == StatusCodes.Status304NotModified)
        {
            // It updates a stored rewritten response, whose validator was weakened.
            Weaken(headers);
            return;
        }

        // No body to rewrite; a 206's Content-Range counts the backend's bytes (Range is not
        // forwarded on these routes, so one comes only from a backend that ignores that).
        if (response.StatusCode is < 200 or 204 or 206 || !settings.Covers(response.ContentType))
        {
            return;
        }

        var why = LeftAloneBecause(response, out var charset, out var coding);
        if (why is not null)
        {
            metrics.LeftAlone(route.Id, why);
            log.LeftAlone(route.Id, response.ContentType ?? "", why);
            return;
        }

        // The body's length and digests change, and a range of it can no longer be served from
        // the backend's bytes.
        response.ContentLength = null;
        foreach (var field in BytesFields)
        {
            headers.Remove(field);
        }

        headers.Remove(HeaderNames.AcceptRanges);
        Weaken(headers);

        // With the route's compression the body leaves here unencoded and compression encodes it
        // for the client; without it, it is encoded again in the backend's coding, which the
        // client accepted (its Accept-Encoding went to the backend).
        var reencode = route.Compression is null && coding!.Length > 0 ? coding : null;
        if (reencode is null)
        {
            headers.Remove(HeaderNames.ContentEncoding);
        }

        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        var source = BodyCodings.Decoder(coding!, proxied.Content.ReadAsStream());
        proxied.Content = new StreamContent(new RewritingStream(
            source, charset!, settings, reencode, body => metrics.Rewritten(route.Id, body), e => log.Undecodable(route.Id, coding!, e.Message)));
    }

    /// <summary>Why the response is sent as the backend sent it, or null when it is rewritten.</summary>
    private static string? LeftAloneBecause(HttpResponse response, out Encoding? charset, out string? coding)
    {
        charset = null;
        coding = BodyCodings.Of(response.Headers.ContentEncoding.ToString());
        if (response.Headers.CacheControl.ToString().Contains("no-transform", StringComparison.OrdinalIgnoreCase))
        {
            // RFC 9111 §5.2.2.6: a proxy must not transform the content of such a response.
            return "no_transform";
        }

        if (coding is null)
        {
            return "coding";
        }

        charset = Charset(response.ContentType);
        return charset is null ? "charset" : null;
    }

    /// <summary>The encoding of <paramref name="contentType"/>'s charset: UTF-8 when it names none; null for one not supported.</summary>
    private static Encoding? Charset(string? contentType)
    {
        var name = MediaTypeHeaderValue.TryParse(contentType, out var media) ? media.Charset.Value?.Trim('"').ToLowerInvariant() : null;
        return name switch
        {
            null or "" or "utf-8" or "utf8" => Encoding.UTF8,
            // ISO-8859-1 maps every byte to one character and back: US-ASCII bodies (and any
            // stray byte above 127 in them) round-trip exactly.
            "iso-8859-1" or "latin1" or "us-ascii" or "ascii" => Encoding.Latin1,
            "utf-16" or "utf-16le" => Encoding.Unicode,
            "utf-16be" => Encoding.BigEndianUnicode,
            "utf-32" or "utf-32le" => Encoding.UTF32,
            _ => null,
        };
    }

    /// <summary>RFC 9110 §8.8.3: a strong validator names exact bytes, and these are no longer the backend's; a weak one still names the same content.</summary>
    private static void Weaken(IHeaderDictionary headers)
    {
        var etag = headers.ETag.ToString();
        if (etag.Length > 0 && !etag.StartsWith("W/", StringComparison.Ordinal))
        {
            headers.ETag = "W/" + etag;
        }
    }
}
