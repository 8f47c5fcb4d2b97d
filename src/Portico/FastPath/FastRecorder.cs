using System.Net;
using System.Text;
using Microsoft.Extensions.Primitives;
using Portico.Configuration;
using Portico.Forwarding;
using Portico.Observability;

namespace Portico.FastPath;

/// <summary>
/// The end of a fast-path request, recorded as the observability stage records a full-path one
/// (<see cref="RequestRecorder"/>): metrics, the dashboard's statistics and the access log.
/// </summary>
internal sealed class FastRecorder(ActiveConfig config, PorticoMetrics metrics, RequestRecorder recorder, TimeProvider time)
{
    // The record Finish fills, one per thread: metrics, statistics and the access log read it
    // while Finish runs and keep nothing of it, and a new one per request was a third of what a
    // fast-path request allocated.
    [ThreadStatic]
    private static RequestExchange? t_exchange;

    public PorticoMetrics Metrics => metrics;

    /// <summary>The clock the full pipeline's stages read too (header rules' time variables).</summary>
    public TimeProvider Time => time;

    public long Now() => time.GetTimestamp();

    /// <summary>Seconds since <paramref name="start"/> (a <see cref="Now"/>).</summary>
    public double Since(long start) => time.GetElapsedTime(start).TotalSeconds;

    /// <summary>The client's X-Request-Id when it sent exactly one and it is usable (RequestIds, as on the full path).</summary>
    public static string? ClientRequestId(RequestHead head)
        => RequestIds.Usable(head.RequestIdCount == 1 ? Encoding.Latin1.GetString(head[head.RequestId]) : null);

    /// <summary>What the observability stage does at the end of a full-path request: metrics, statistics, access log (passive health was judged before the last flush).</summary>
    /// <param name="address">The destination that answered; null when none did (a cache hit).</param>
    public void Finish(FastConnection state, FastRoutes.Entry entry, string? address, string requestId, long start, int status, long bodyBytes, LocalReason? reason, string? cache = null)
    {
        var route = entry.Route;
        var seconds = time.GetElapsedTime(start).TotalSeconds;
        var exchange = t_exchange ??= new RequestExchange { StartTimestamp = start, RequestId = requestId };
        exchange.Restart(start, requestId);
        exchange.Route = route.Id;
        exchange.Cluster = route.Cluster;
        exchange.Upstream = address;
        exchange.UpstreamSeconds = address is null ? null : time.GetElapsedTime(state.AttemptStart).TotalSeconds;
        exchange.Reason = reason;
        exchange.Retries = state.Retries;
        exchange.Cache = cache ?? state.Miss?.Outcome;
        exchange.ResponseBytes = bodyBytes;
        exchange.Rewritten = cache is null && FastRewrite.Applies(route) ? FastRewrite.Target(state.Head, route) : null;
        state.Retries = 0;
        state.Miss?.Count();

        // The route's series and totals, looked up once per route rather than per request.
        var tallies = entry.Tallies ??= recorder.TalliesOf(route.Id, route.Cluster ?? "");
        // Counted before the request stops being in progress (Record), so whoever sees no request
        // in progress sees every fast-path request counted (the tests wait on that).
        metrics.FastPathServed();
        recorder.Record(exchange, status, seconds, tallies, new Source(state, config.Current.Settings.Proxy.TrustedProxies));
    }

    /// <summary>The fast path's access-log source: the request line and fields, read from the head only when the log is on.</summary>
    private readonly ref struct Source(FastConnection state, IReadOnlyList<IPNetwork> trusted) : IAccessLogSource
    {
        public AccessLogRequest Describe()
        {
            var head = state.Head;
            var target = head[head.Target];
            var query = target.IndexOf((byte)'?');
            return new AccessLogRequest(
                ClientOf(state, trusted),
                Encoding.ASCII.GetString(head[head.Method]),
                Encoding.Latin1.GetString(head[head.Host]),
                Encoding.ASCII.GetString(head[head.Path]),
                query < 0 ? "" : Encoding.ASCII.GetString(target[query..]),
                state.Protocol,
                Encoding.Latin1.GetString(head[head.UserAgent]),
                Encoding.Latin1.GetString(head[head.Referer]));
        }
    }

    /// <summary>The client's address as the full path resolves it (ClientAddress), for a page's `{client_ip}`.</summary>
    public IPAddress ClientOf(FastConnection state) => ClientOf(state, config.Current.Settings.Proxy.TrustedProxies);

    /// <summary>The client the access log names: the peer, or behind trusted proxies the hop X-Forwarded-For vouches for (ClientAddress).</summary>
    private static IPAddress ClientOf(FastConnection state, IReadOnlyList<IPNetwork> trusted)
    {
        if (trusted.Count == 0)
        {
            return state.Peer;
        }

        var head = state.Head;
        var sent = StringValues.Empty;
        foreach (var line in head.Lines)
        {
            if (line.Kind == FieldKind.XForwardedFor)
            {
                sent = StringValues.Concat(sent, Encoding.Latin1.GetString(head[line.ValueStart..line.ValueEnd]));
            }
        }

        return ClientAddress.Resolve(state.Peer, sent, trusted);
    }
}
