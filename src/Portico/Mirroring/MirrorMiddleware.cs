using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Pipeline;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Portico.Mirroring;

/// <summary>
/// In the proxy pipeline, on a route with a `mirror`: draws whether this request is copied, and
/// if so takes the copy (the shadow cluster's available destinations and balancing policy choose
/// where it goes, as for any cluster) and queues it: at once for a request without a body, at
/// the body's end for one with (<see cref="MirrorBody"/>). Cache hits and refusals never get here.
/// </summary>
internal sealed class MirrorMiddleware(RequestDelegate next, ActiveConfig config, IProxyStateLookup state, IEnumerable<ILoadBalancingPolicy> policies, MirrorSampler sampler, MirrorDispatcher dispatcher)
{
    private readonly FrozenDictionary<string, ILoadBalancingPolicy> _policies = policies.ToFrozenDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    public Task Invoke(HttpContext context)
    {
        if (MatchedRoute.Of(context, config) is not { Mirror: { } mirror } route || !sampler.Take(mirror.Percent))
        {
            return next(context);
        }

        if (Destination(context, mirror) is not { } chosen)
        {
            dispatcher.Dropped(route.Id, mirror.Cluster, MirrorDrop.NoDestination);
            return next(context);
        }

        var (cluster, destination) = chosen;

        var length = context.Request.ContentLength;
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != true || length == 0)
        {
            dispatcher.Enqueue(MirrorCopy.Capture(context, route, mirror, config.Current.Settings.Proxy, cluster, destination));
            return next(context);
        }

        if (length > mirror.MaxBodySize)
        {
            dispatcher.Dropped(route.Id, mirror.Cluster, MirrorDrop.BodyTooLarge);
            return next(context);
        }

        return ForwardCopyingAsync(context, new MirrorBody(context.Request.Body, MirrorCopy.Capture(context, route, mirror, config.Current.Settings.Proxy, cluster, destination), length, dispatcher));
    }

    private async Task ForwardCopyingAsync(HttpContext context, MirrorBody body)
    {
        var original = context.Request.Body;
        context.Request.Body = body;
        try
        {
            await next(context);
        }
        finally
        {
            context.Request.Body = original;
            body.Finish();
        }
    }

    /// <summary>Where the copy goes: the shadow's choice among its available destinations, as its load-balancing policy makes it for this request.</summary>
    private (ClusterState, DestinationState)? Destination(HttpContext context, MirrorSettings mirror)
    {
        if (!state.TryGetCluster(mirror.Cluster, out var cluster))
        {
            return null;
        }

        var available = cluster.DestinationsState.AvailableDestinations;
        if (available.Count == 0)
        {
            return null;
        }

        var policy = cluster.Model.Config.LoadBalancingPolicy is { } name && _policies.TryGetValue(name, out var named) ? named : null;
        var destination = available.Count == 1 || policy is null ? available[0] : policy.PickDestination(context, cluster, available);
        return destination is null ? null : (cluster, destination);
    }
}
