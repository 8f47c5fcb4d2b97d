using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Forwarding;
using Portico.Observability;
using Yarp.ReverseProxy.Model;

namespace Portico.Security.Waf;

/// <summary>
/// Stage 2, last Guard step: runs the matched route's rule set over the request line, the
/// headers and the body, which the engine sees whole up to `waf.requestBodyLimit`; a longer body
/// is refused with 413 (`reject`) or has its first part inspected (`inspect-first`). In `block`
/// mode a request a rule interrupts gets 403 (400 for a body the engine cannot parse) and is
/// never forwarded; in `detect` mode it is forwarded. Either way it goes to the audit log. A
/// route without the WAF passes straight through.
/// </summary>
internal sealed class WafMiddleware(RequestDelegate next, ActiveConfig config, WafAuditLog audit, WafMetrics metrics)
{
    public Task Invoke(HttpContext context)
    {
        if (config.Current.Runtime<WafRuntime>() is null
            || context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.RouteId is not { } routeId)
        {
            return next(context);
        }

        return InspectAsync(context, routeId);
    }

    private async Task InspectAsync(HttpContext context, string routeId)
    {
        var exchange = context.Features.GetRequiredFeature<RequestExchange>();
        if (Begin(routeId, exchange.RequestId) is not var (waf, transaction))
        {
            await next(context);
            return;
        }

        var refusesLong = waf.Mode == WafMode.Block && waf.LimitAction == WafBodyLimitAction.Reject;
        // RFC 9110 §8.4: a body in a content coding is inspected decoded; one in a coding Portico
        // cannot decode would pass unseen, so `block` refuses it unread.
        var codings = EncodedBody.Codings(context.Request.Headers.ContentEncoding);
        var reason = WafRefusal.Rules;
        PrefixedStream? body = null;
        var overLimit = false;
        int status;
        IReadOnlyList<WafMatch> matches;
        using (transaction)
        {
            InspectHead(context, transaction);
            status = transaction.Interruption();
            var hasBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true;
            if (status == 0 && hasBody && codings is null)
            {
                (status, reason) = (StatusCodes.Status415UnsupportedMediaType, WafRefusal.EncodingUnsupported);
            }

            if (status == 0 && hasBody)
            {
                // A declared length past the limit is refused unread; any other body is read to
                // one byte past it, which tells a body ending at the limit from a longer one
                // whatever its framing (Content-Length, chunked, HTTP/2 DATA frames).
                overLimit = context.Request.ContentLength > waf.BodyLimit;
                if (!(overLimit && refusesLong))
                {
                    body = await ReadPrefixAsync(context.Request.Body, waf.BodyLimit + 1, context.RequestAborted);
                    context.Request.Body = body;
                    overLimit = body.Prefix.Length > waf.BodyLimit;
                }
            }

            if (status == 0 && !(overLimit && refusesLong))
            {
                (status, var undecodable) = InspectBody(transaction, context.Request.ContentType, body, codings ?? [], waf.BodyLimit, ref overLimit, refusesLong);
                reason = undecodable ? WafRefusal.BodyUndecodable : reason;
            }

            matches = transaction.Matches.All;
        }

        if (overLimit && waf.LimitAction == WafBodyLimitAction.Reject)
        {
            // RFC 9110 §15.5.14; in `detect` the body is forwarded, its first part inspected.
            (status, reason) = (StatusCodes.Status413PayloadTooLarge, WafRefusal.BodyOverLimit);
        }

        await using (body)
        {
            if (status != 0)
            {
                var blocked = waf.Mode == WafMode.Block;
                audit.Write(Entry(context, exchange, routeId, blocked ? "blocked" : "detected", reason, matches));
                metrics.Inspected(routeId, blocked ? "blocked" : "detected");
                if (blocked)
                {
                    exchange.Reason = LocalReason.WafBlocked;
                    if (reason == WafRefusal.EncodingUnsupported)
                    {
                        // RFC 9110 §12.5.3: a 415 for a coding names the codings that are accepted.
                        context.Response.OnStarting(static response => SetAcceptEncoding((HttpResponse)response), context.Response);
                    }

                    await ErrorPage.WriteAsync(context, status);
                    return;
                }
            }
            else
            {
                metrics.Inspected(routeId, "passed");
            }

            await next(context);
        }
    }

    /// <summary>
    /// Runs the body phase over the body (decoded from its <paramref name="codings"/>) and returns
    /// the status a rule asks for; for a body not in the codings it names, 400 and undecodable.
    /// A body that decodes past the limit is over it like any other.
    /// </summary>
    private static (int Status, bool Undecodable) InspectBody(WafTransaction transaction, string? contentType, PrefixedStream? body, IReadOnlyList<string> codings, long limit, ref bool overLimit, bool refusesLong)
    {
        if (body is null || codings.Count == 0)
        {
            AppendBody(transaction, contentType, body is null ? default : body.Prefix, limit);
            transaction.ProcessBody();
            return (transaction.Interruption(), false);
        }

        using var decoded = EncodedBody.Decode(body.PrefixSegment, codings, limit, cut: overLimit);
        if (decoded is null)
        {
            // Its arguments were never inspected: refused as a body the engine cannot parse is.
            transaction.ProcessBody();
            return (StatusCodes.Status400BadRequest, true);
        }

        overLimit |= decoded.Length > limit;
        if (overLimit && refusesLong)
        {
            return (0, false);
        }

        AppendBody(transaction, contentType, decoded.Bytes, limit);
        transaction.ProcessBody();
        return (transaction.Interruption(), false);
    }

    private static Task SetAcceptEncoding(HttpResponse response)
    {
        response.Headers.AcceptEncoding = "gzip, deflate, br, zstd";
        return Task.CompletedTask;
    }

    /// <summary>
    /// Hands the engine the body, or for one past the limit its first part: a multipart body
    /// closed after its last part there (else the engine finds no argument in it at all), any
    /// other with one byte more, which the engine drops while marking the body as cut short
    /// (INBOUND_DATA_ERROR), so rule 99010 does not refuse a JSON or XML body for ending mid-way.
    /// </summary>
    private static void AppendBody(WafTransaction transaction, string? contentType, ReadOnlySpan<byte> prefix, long limit)
    {
        if (prefix.Length > limit && MultipartPrefix.Boundary(contentType) is { } boundary)
        {
            var close = MultipartPrefix.Close(boundary);
            var room = prefix[..(int)Math.Max(0, limit - close.Length)];
            transaction.AppendBody(room[..MultipartPrefix.Keep(room, boundary)]);
            transaction.AppendBody(close);
            return;
        }

        if (!prefix.IsEmpty)
        {
            transaction.AppendBody(prefix);
        }
    }

    /// <summary>The route's settings and a transaction on its rule set; null when the route is not inspected.</summary>
    private (RouteWaf, WafTransaction)? Begin(string routeId, string requestId)
    {
        // A reload may retire the rule set between reading the config and starting the
        // transaction; the next read then sees the newer config.
        for (var attempt = 0; ; attempt++)
        {
            if (config.Current.Runtime<WafRuntime>()?.Route(routeId) is not { } waf)
            {
                return null;
            }

            try
            {
                return (waf, WafTransaction.Begin(waf.Rules, requestId));
            }
            catch (ObjectDisposedException) when (attempt < 3)
            {
            }
        }
    }

    private static void InspectHead(HttpContext context, WafTransaction transaction)
    {
        var connection = context.Connection;
        transaction.Connection(ClientAddress.Of(context).ToString(), connection.RemotePort, connection.LocalIpAddress?.ToString() ?? "", connection.LocalPort);
        var request = context.Request;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw ? raw : request.Path + request.QueryString;
        // The common versions as constants: a substring per request is garbage for nothing.
        var version = request.Protocol switch
        {
            "HTTP/1.1" => "1.1",
            "HTTP/2" => "2",
            "HTTP/1.0" => "1.0",
            var other => other.StartsWith("HTTP/", StringComparison.Ordinal) ? other[5..] : other,
        };
        transaction.Uri(target, request.Method, version);
        foreach (var (name, values) in request.Headers)
        {
            foreach (var value in values)
            {
                transaction.Header(name, value ?? "");
            }
        }

        transaction.ProcessHeaders();
    }

    /// <summary>Reads up to <paramref name="limit"/> bytes into a pooled buffer that grows as the body arrives.</summary>
    private static async Task<PrefixedStream> ReadPrefixAsync(Stream body, long limit, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit, 16 * 1024));
        var length = 0;
        while (length < limit)
        {
            if (length == buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit, (long)buffer.Length * 2));
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }

            var read = await body.ReadAsync(buffer.AsMemory(length, (int)Math.Min(buffer.Length, limit) - length), cancellationToken);
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        return new PrefixedStream(buffer, length, body);
    }

    private static WafAuditEntry Entry(HttpContext context, RequestExchange exchange, string routeId, string action, WafRefusal reason, IReadOnlyList<WafMatch> matches)
        => new(exchange.RequestId, action, reason, routeId, ClientAddress.Of(context).ToString(), context.Request.Method, context.Request.Host.Value ?? "", context.Request.Path.Value ?? "", matches);
}
