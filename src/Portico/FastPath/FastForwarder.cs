using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Configuration.Model;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.LoadBalancing;

namespace Portico.FastPath;

/// <summary>
/// A request forwarded by the fast path: the destination chosen by the cluster's own policy among
/// YARP's available destinations, a pooled connection to it, the request head written (see
/// <see cref="RequestWriter"/>) and sent, the response head read; then <see cref="FastRelay"/>
/// relays the response. What it cannot do without writing to the client (no destination, no
/// connection) it hands to the full path, which retries, ejects and answers as configured.
/// </summary>
internal sealed class FastForwarder(
    ActiveConfig config, IProxyStateLookup proxyState, IReadOnlyDictionary<string, ILoadBalancingPolicy> policies,
    BackendPool pool, FastRelay relay, FastLocalAnswer local, FastRecorder recorder)
{
    // The requests being written to backends. A buffer is held while its backend answers, so
    // a loop has as many out as requests in flight: more than the shared pool keeps per core
    // (32 per size), which then allocates anew for most requests under load.
    private static readonly ArrayPool<byte> RequestBuffers = ArrayPool<byte>.Create(64 * 1024, 1024);

    private readonly HttpContext _policyContext = new DefaultHttpContext();

    public async ValueTask<FastOutcome> ForwardAsync(FastConnection state, FastRoutes.Entry entry, UnderscoreHeaderPolicy underscores, PipeWriter output)
    {
        var route = entry.Route;
        var fast = entry.Cluster!;
        if (!proxyState.TryGetCluster(route.Cluster!, out var cluster)
            || cluster.DestinationsState.AvailableDestinations is not { Count: > 0 } available
            || !policies.TryGetValue(cluster.Model.Config.LoadBalancingPolicy ?? "PowerOfTwoChoices", out var policy)
            || policy.PickDestination(_policyContext, cluster, available) is not { } destination)
        {
            return FastOutcome.HandOver;
        }

        var head = state.Head;
        var start = recorder.Now();
        var clientId = FastRecorder.ClientRequestId(head);
        var requestId = clientId ?? state.NextRequestId();
        var settings = config.Current.Settings;
        var address = destination.Model.Config.Address;
        var endpoint = pool.For(address);

        // Worst case: the head, plus the forwarded headers repeating the client's lists and host.
        var rewritten = FastRewrite.Applies(route) ? FastRewrite.Target(head, route) : null;
        var request = RequestBuffers.Rent((head.Length * 3) + 512 + (rewritten?.Length ?? 0));
        BackendConnection? backend = null;
        DestinationCounters.Increment(destination);

        // In flight from here (a shutdown counts it), until the relay or the local answer
        // finishes it, or it is handed to the full path, which counts it again.
        recorder.Metrics.RequestStarted();
        var handedOn = false;
        try
        {
            var length = RequestWriter.Write(state, request, clientId is null ? requestId : null, rewritten, settings.Proxy, underscores);
            var reused = true;
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
                        // The full path retries, ejects and answers 502/504 as configured.
                        return FastOutcome.HandOver;
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

                var attempt = backend;
                backend = null;
                if (read.Status > 0)
                {
                    // RelayAsync returns the connection to the pool or closes it.
                    handedOn = true;
                    return await relay.RelayAsync(state, entry, cluster, destination, address, attempt, read, requestId, start, settings, output);
                }

                attempt.Dispose();
                if (state.TimedOut || (read.Status < 0 && read.Received))
                {
                    handedOn = true;
                    return await local.AnswerAsync(state, entry, cluster, destination, address, requestId, start, state.TimedOut ? 504 : 502, output);
                }

                if (!reused)
                {
                    return FastOutcome.HandOver;
                }

                // A kept-alive connection the backend had closed: try once more on a new one.
                reused = false;
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
        }
    }
}
