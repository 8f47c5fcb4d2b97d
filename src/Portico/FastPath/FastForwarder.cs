using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Forwarding;
using Portico.Health;
using Portico.Observability;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Portico.FastPath;

/// <summary>
/// A request forwarded by the fast path: the destination chosen by the cluster's own policy among
/// YARP's available destinations, a pooled connection to it, the request head written (see
/// <see cref="RequestWriter"/>) and sent, the response head read; then <see cref="FastRelay"/>
/// relays the response. A failure before the first response byte is retried as the full path's
/// forwarding stage retries it (see <see cref="Failure"/>); what the fast path cannot do without
/// writing to the client or recording anything (no destination, a first attempt it cannot
/// judge) it hands to the full path, which retries, ejects and answers as configured.
/// </summary>
internal sealed class FastForwarder(
    ActiveConfig config, IProxyStateLookup proxyState, IReadOnlyDictionary<string, ILoadBalancingPolicy> policies,
    BackendPool pool, FastRelay relay, FastLocalAnswer local, FastRateLimit limits, FastRecorder recorder, PassiveHealthPolicy? passive, DestinationStats destinations, ForwardingLog log)
{
    // The requests being written to backends. A buffer is held while its backend answers, so
    // a loop has as many out as requests in flight: more than the shared pool keeps per core
    // (32 per size), which then allocates anew for most requests under load.
    private static readonly ArrayPool<byte> RequestBuffers = ArrayPool<byte>.Create(64 * 1024, 1024);

    // What the policies that ignore the request are given (all but consistent hashing).
    private readonly HttpContext _policyContext = new DefaultHttpContext();

    /// <summary>How an attempt failed before any response byte reached the client.</summary>
    private enum Failure
    {
        /// <summary>The connection was refused or failed: YARP's ForwarderError.Request, retried.</summary>
        Connect,

        /// <summary>No connection within `connectTimeout`: YARP's RequestTimedOut, retried; 504 when it was the last attempt.</summary>
        ConnectTimeout,

        /// <summary>No response head within the cluster's `timeout`: YARP's RequestTimedOut, retried; 504 when it was the last attempt.</summary>
        Timeout,

        /// <summary>A new connection ended before any response byte: ForwarderError.Request, retried.</summary>
        NoResponse,

        /// <summary>The connection ended inside the response head: ForwarderError.Request, retried.</summary>
        BrokenHead,
    }

    /// <param name="miss">Set for a cached route's miss (<see cref="FastCacheResponder"/>): the cache stage's part, between the rate limit and the destination's choice, and at the response.</param>
    [AsyncMethodBuilder(typeof(LoopFrameBuilder<>))]
    public async ValueTask<FastOutcome> ForwardAsync(FastConnection state, FastRoutes.Entry entry, UnderscoreHeaderPolicy underscores, PipeWriter output, FastMiss? miss = null)
    {
        var route = entry.Route;
        var fast = entry.Cluster!;
        var policyContext = fast.Hashes ? HashedRequest(state) : _policyContext;
        if (!proxyState.TryGetCluster(route.Cluster!, out var cluster)
            || cluster.DestinationsState.AvailableDestinations is not { Count: > 0 } available
            || !policies.TryGetValue(cluster.Model.Config.LoadBalancingPolicy ?? "PowerOfTwoChoices", out var policy))
        {
            return FastOutcome.HandOver;
        }

        var head = state.Head;
        var start = recorder.Now();
        var clientId = FastRecorder.ClientRequestId(head);
        var requestId = clientId ?? state.NextRequestId();
        var settings = config.Current.Settings;
        var retries = fast.Settings.Retries;
        List<DestinationState>? tried = null;

        state.Fields.Render(entry.RequestRules, entry.ResponseRules, new FastTemplateValues(state, route, requestId, recorder));
        if (route.Compression is { } compression)
        {
            // As the compression stage: the coding chosen, and the backend asked for it alone.
            state.Fields.Compress(compression, head.Values("accept-encoding"));
        }

        // The route's rate limit before load balancing, as the rate-limiting stage runs before the
        // forwarder, so a refused request moves no policy's state (round-robin's counter). A
        // request counted here is not handed over below (the full path would count it again):
        // the policies pick from the non-empty list of available destinations.
        if (route.RateLimit is { } limit && !await limits.AdmitAsync(state, limit))
        {
            recorder.Metrics.RequestStarted();
            return await local.RefuseAsync(state, entry, requestId, start, 429, LocalReason.RateLimited, $"route '{limit.Name}' rate limit", output);
        }

        // The cache stage runs after the rate limit and before the forwarder picks a destination:
        // a follower answered from its leader's response moves no policy's state.
        if (miss is not null && await miss.FollowAsync(state, entry, requestId, start, recorder, output) is { } followed)
        {
            return followed;
        }

        if (Pick(policy, policyContext, cluster, available) is not { } destination)
        {
            Landed(state);
            return FastOutcome.HandOver;
        }

        // Worst case: the head, plus the forwarded headers repeating the client's lists and host, plus the stages' fields.
        var rewritten = FastRewrite.Applies(route) ? FastRewrite.Target(head, route) : null;
        var request = RequestBuffers.Rent((head.Length * 3) + 512 + (rewritten?.Length ?? 0) + state.Fields.RequestLines.Length + (head.NoHost ? 300 : 0));
        BackendConnection? backend = null;
        DestinationCounters.Increment(destination);

        // In flight from here (a shutdown counts it), until the relay or the local answer
        // finishes it, or it is handed to the full path, which counts it again.
        recorder.Metrics.RequestStarted();
        var handedOn = false;
        try
        {
            // A request without Host (HTTP/1.0) takes this destination's; FastPathHandler.Decide
            // keeps those of clusters that retry on the full path, where each attempt has its own.
            var host = head.NoHost ? pool.For(destination.Model.Config.Address).HostField : null;
            var length = RequestWriter.Write(state, request, clientId is null ? requestId : null, rewritten, settings.Proxy, underscores, host);
            for (var attempt = 0; ; attempt++)
            {
                var attemptStart = state.AttemptStart = recorder.Now();
                var address = destination.Model.Config.Address;
                var endpoint = pool.For(address);
                var reused = true;
                Failure failure;
                backend = endpoint.TakeIdle(state.Loop);
                while (true)
                {
                    if (backend is null)
                    {
                        reused = false;
                        try
                        {
                            backend = await endpoint.ConnectAsync(fast.Settings.ConnectTimeout, state.Loop);
                        }
                        catch (Exception e) when (e is SocketException or OperationCanceledException)
                        {
                            failure = e is SocketException ? Failure.Connect : Failure.ConnectTimeout;
                            break;
                        }
                    }

                    state.Exchange(backend, fast);
                    var sent = await FastOutput.SendAsync(backend, request.AsMemory(0, length));

                    // The response head (see ResponseHead.Scan), read here rather than in a method of its own:
                    // one suspended frame per request instead of two.
                    var read = default(ResponseHead);
                    var filled = 0;
                    var searched = 0;
                    while (sent && !ResponseHead.Scan(backend.Buffer, ref filled, ref searched, out read))
                    {
                        int n;
                        try
                        {
                            n = await backend.ReceiveAsync(backend.Buffer.AsMemory(filled));
                        }
                        catch (Exception e) when (e is SocketException or ObjectDisposedException)
                        {
                            n = 0;
                        }

                        if (n == 0)
                        {
                            read = new ResponseHead(filled == 0 ? 0 : -1, 0, filled, filled > 0);
                            break;
                        }

                        filled += n;
                    }

                    var connection = backend;
                    backend = null;
                    if (read.Status > 0)
                    {
                        // RelayAsync returns the connection to the pool or closes it.
                        handedOn = true;
                        return await relay.RelayAsync(state, entry, cluster, destination, address, connection, read, requestId, start, settings, output, state.Miss);
                    }

                    connection.Dispose();
                    if (state.TimedOut)
                    {
                        // The route's deadline spans every attempt: past it, nothing is retried.
                        if (state.RouteDeadlinePassed)
                        {
                            handedOn = true;
                            return await local.AnswerAsync(state, entry, cluster, destination, address, requestId, start, 504, output);
                        }

                        failure = Failure.Timeout;
                        break;
                    }

                    if (read.Status < 0 && read.Received)
                    {
                        failure = Failure.BrokenHead;
                        break;
                    }

                    if (!reused)
                    {
                        failure = Failure.NoResponse;
                        break;
                    }

                    // A kept-alive connection the backend had closed: try once more on a new one,
                    // as the full path's client does before it counts an attempt.
                    reused = false;
                }

                if (attempt == 0 && retries == 0 && route.RateLimit is null && failure is Failure.Connect or Failure.ConnectTimeout)
                {
                    // Nothing was sent or recorded yet: the full path does the whole exchange as
                    // it would have (a cluster without retries). A request its route's rate limit
                    // counted is answered here as a later attempt is (502, or 504 for the connect
                    // timeout): the full path would count it again.
                    return FastOutcome.HandOver;
                }

                var next = attempt >= retries ? null : Next(cluster, available, policy, policyContext, destination, tried ??= []);
                if (next is null)
                {
                    handedOn = true;
                    return failure is Failure.ConnectTimeout or Failure.Timeout
                        ? await local.AnswerAsync(state, entry, cluster, destination, address, requestId, start, 504, output)
                        : await local.AnswerAsync(state, entry, cluster, destination, address, requestId, start, 502, output, Detail(failure));
                }

                // Retried as ForwardingMiddleware retries: passive health and the destination's
                // statistics count the failure, the next destination is the policy's pick among
                // those not tried and not ejected.
                passive?.Record(cluster, destination, destinationFault: true, serverError: false);
                destinations.Record(destination, Detail(failure).Outcome, recorder.Since(attemptStart), 0, 0, retried: true);
                log.Retrying(route.Id, destination.DestinationId, attempt + 1, Detail(failure).Error);
                state.Retries++;
                DestinationCounters.Decrement(destination);
                destination = next;
                DestinationCounters.Increment(destination);
            }
        }
        finally
        {
            if (!handedOn)
            {
                recorder.Metrics.RequestNotServed();
            }

            DestinationCounters.Decrement(destination);
            state.Exchange(null, null);
            backend?.Dispose();
            RequestBuffers.Return(request);
            Landed(state);
        }
    }

    /// <summary>A miss's flight lands once its response is stored or it is handed over; the next request starts without it.</summary>
    internal static void Landed(FastConnection state)
    {
        state.Miss?.Land();
        state.Miss = null;
    }

    /// <summary>The destination a retry goes to, as the full path picks it; null when none is left.</summary>
    private static DestinationState? Next(
        ClusterState cluster, IReadOnlyList<DestinationState> candidates, ILoadBalancingPolicy policy, HttpContext policyContext, DestinationState failed, List<DestinationState> tried)
    {
        tried.Add(failed);
        var remaining = candidates.Where(d => !tried.Contains(d) && d.Health.Passive != DestinationHealth.Unhealthy).ToArray();
        return remaining.Length == 0 ? null : Pick(policy, policyContext, cluster, remaining);
    }

    /// <summary>
    /// As YARP's load-balancing stage picks: a lone destination without asking the policy, so a
    /// policy with state (round-robin's counter) moves exactly as it does on the full path.
    /// </summary>
    private static DestinationState? Pick(ILoadBalancingPolicy policy, HttpContext policyContext, ClusterState cluster, IReadOnlyList<DestinationState> destinations)
        => destinations.Count == 1 ? destinations[0] : policy.PickDestination(policyContext, cluster, destinations);

    /// <summary>
    /// The request as consistent hashing reads it (LoadBalancing's HashKeySpec, unchanged): the
    /// client address the full path resolves (trusted proxies included) and the head's fields as
    /// Kestrel gives them, one value per line, Latin-1, without surrounding whitespace, so a
    /// header or cookie key is the same string on both paths. A new context per request, so
    /// the cookie parser cannot see an earlier request's fields.
    /// </summary>
    private HttpContext HashedRequest(FastConnection state)
    {
        var context = new DefaultHttpContext();
        context.Features.Set<IClientAddressFeature>(new ClientAddressFeature(recorder.ClientOf(state)));
        HeadDictionary.Request(context.Request.Headers, state.Head);
        return context;
    }

    /// <summary>How the full path reads the failure: its error, its log line's detail, the destination's statistics.</summary>
    private static (ForwarderError Error, string Detail, DestinationOutcome Outcome) Detail(Failure failure) => failure switch
    {
        Failure.Connect => (ForwarderError.Request, "the connection to the backend failed", DestinationOutcome.Connect),
        Failure.NoResponse => (ForwarderError.Request, "the backend closed the connection without answering", DestinationOutcome.Reset),
        Failure.ConnectTimeout or Failure.Timeout => (ForwarderError.RequestTimedOut, "the backend did not answer in time", DestinationOutcome.Timeout),
        _ => (ForwarderError.Request, "the backend closed the connection inside its response head", DestinationOutcome.Reset),
    };
}
