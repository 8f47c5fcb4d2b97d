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
/// headers and up to `waf.requestBodyLimit` bytes of the body. In `block` mode a request a rule
/// interrupts gets 403 and is never forwarded; in `detect` mode it is forwarded. Either way it
/// goes to the audit log. A route without the WAF passes straight through.
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

        PrefixedStream? body = null;
        bool interrupted;
        IReadOnlyList<WafMatch> matches;
        using (transaction)
        {
            InspectHead(context, transaction);
            interrupted = transaction.Interrupted();
            if (!interrupted && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
            {
                body = await ReadPrefixAsync(context.Request.Body, waf.BodyLimit, context.RequestAborted);
                transaction.AppendBody(body.Prefix);
                context.Request.Body = body;
            }

            if (!interrupted)
            {
                transaction.ProcessBody();
                interrupted = transaction.Interrupted();
            }

            matches = transaction.Matches.All;
        }

        await using (body)
        {
            if (interrupted)
            {
                var blocked = waf.Mode == WafMode.Block;
                audit.Write(Entry(context, exchange, routeId, blocked ? "blocked" : "detected", matches));
                metrics.Inspected(routeId, blocked ? "blocked" : "detected");
                if (blocked)
                {
                    exchange.Reason = LocalReason.WafBlocked;
                    await ErrorPage.WriteAsync(context, StatusCodes.Status403Forbidden);
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
        var version = request.Protocol.StartsWith("HTTP/", StringComparison.Ordinal) ? request.Protocol[5..] : request.Protocol;
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

    private static WafAuditEntry Entry(HttpContext context, RequestExchange exchange, string routeId, string action, IReadOnlyList<WafMatch> matches)
        => new(exchange.RequestId, action, routeId, ClientAddress.Of(context).ToString(), context.Request.Method, context.Request.Host.Value ?? "", context.Request.Path.Value ?? "", matches);
}
