using System.Buffers;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Observability;

namespace Portico.FastPath;

/// <summary>
/// The fast path for HTTP/2 requests (h2c and h2 over TLS), at the request layer: Kestrel's
/// HTTP/2 framing, HPACK and flow control stay, and each request is the first thing the request
/// delegate meets, before the ASP.NET middleware and YARP. Its head is written as the HTTP/1.1
/// head it would be forwarded as (<see cref="StreamHead"/>) and decided on exactly as an HTTP/1.1
/// client's (<see cref="FastPathHandler.Decide"/>: the same route stages, fail closed); it is
/// forwarded over the same backend pool by the same <see cref="FastForwarder"/> (or answered from
/// the cache), and the response goes out through the request's features (<see cref="StreamOutput"/>).
/// A request it does not take goes to the full pipeline whole, counted under its reason;
/// unlike on HTTP/1.1, only that request, not the rest of its connection.
/// </summary>
internal sealed class StreamRequests(
    FastPathHandler handler, ActiveConfig config, PorticoMetrics metrics, FastForwarder forwarder, FastCacheResponder cache)
{
    // The key of a connection's idle request states in its items.
    private static readonly object IdleKey = new();

    public async Task RunAsync(HttpContext context, RequestDelegate fullPath)
    {
        var settings = config.Current.Settings;
        if (!handler.Takes(context.Features.Get<ListenerFeature>()?.Name, context.Features.Get<ITlsConnectionFeature>(), http2: true))
        {
            // As a listener's connections on HTTP/1.1: not counted per request.
            await fullPath(context);
            return;
        }

        var underscores = settings.Limits.UnderscoreHeaders;
        var limits = handler.Limits(underscores == UnderscoreHeaderPolicy.Reject);

        // The head is written and its fields checked in one walk (StreamHead); a field RFC 9113
        // §8.2 forbids has the full pipeline's request guard answer 400.
        byte[]? bytes = null;
        var length = 0;
        var reason = context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: true } ? HandOverReason.BodyOrUpgrade
            : (bytes = StreamHead.Write(context, limits.RejectUnderscoreNames, out length)) is null ? HandOverReason.Invalid
            : (HandOverReason?)null;
        if (reason is not null || bytes is null)
        {
            metrics.FastPathHandedOver(reason ?? HandOverReason.Invalid);
            await fullPath(context);
            return;
        }

        var (state, output, idle) = Rent(context);
        var outcome = FastOutcome.HandOver;
        var cacheHandedOver = false;
        FastRoutes.Entry? entry = null;
        handler.Track(state);
        try
        {
            entry = handler.Decide(state, state.Head.Parse(new ReadOnlySequence<byte>(bytes, 0, length), limits), out reason);
            if (entry is { Http2Refusal: { } refusal })
            {
                // A stage the fast path honours for HTTP/1.1 clients only (RouteStages.Fit).
                (entry, reason) = (null, refusal);
            }

            if (entry is not null)
            {
                // The stages' additions start afresh for each request (the state is reused); no
                // TLS stage fields: Takes keeps HSTS and passed-on client certificates off this path.
                state.Fields.Begin(hsts: null, certificate: null);
                // A cached route's misses are the full pipeline's on HTTP/2: only its fresh hits are answered here.
                state.CacheHandedOver = false;
                outcome = entry.Route.Cache is not null ? await cache.AnswerAsync(state, entry, output)
                    : await forwarder.ForwardAsync(state, entry, underscores, output);
                cacheHandedOver = state.CacheHandedOver;
            }
        }
        finally
        {
            state.ReleaseHead();
            handler.Untrack(state);
            ArrayPool<byte>.Shared.Return(bytes);
            Return(state, output, idle);
        }

        if (outcome == FastOutcome.HandOver)
        {
            metrics.FastPathHandedOver(reason ?? (cacheHandedOver ? HandOverReason.Cache : HandOverReason.Backend));
            await fullPath(context);
        }
    }

    /// <summary>
    /// The state of a request of this HTTP/2 connection: one an earlier request left (its head's
    /// arrays, the peer's address and its texts), or a new one. Kept in the connection's items,
    /// so it goes with the connection; the streams of one connection run at once, so there are as
    /// many as its most requests in flight.
    /// </summary>
    private static (FastConnection State, StreamOutput Output, Stack<(FastConnection, StreamOutput)>? Idle) Rent(HttpContext context)
    {
        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        Stack<(FastConnection, StreamOutput)>? idle = null;
        FastConnection? state = null;
        StreamOutput? output = null;
        if (items is not null)
        {
            lock (items)
            {
                if (items.TryGetValue(IdleKey, out var kept))
                {
                    idle = (Stack<(FastConnection, StreamOutput)>)kept!;
                }
                else
                {
                    items[IdleKey] = idle = new Stack<(FastConnection, StreamOutput)>();
                }
            }

            lock (idle)
            {
                idle.TryPop(out var reused);
                (state, output) = reused;
            }
        }

        state ??= new FastConnection(context);
        output ??= new StreamOutput();
        state.Begin(context);
        output.Begin(context);
        return (state, output, idle);
    }

    private static void Return(FastConnection state, StreamOutput output, Stack<(FastConnection, StreamOutput)>? idle)
    {
        state.Begin(null);
        output.Begin(null);
        if (idle is not null)
        {
            lock (idle)
            {
                idle.Push((state, output));
            }
        }
    }
}
