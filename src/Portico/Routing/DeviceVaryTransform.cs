using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Pipeline;
using Yarp.ReverseProxy.Transforms;

namespace Portico.Routing;

/// <summary>
/// On a route whose responses depend on the device class (`match.device` picked it, or
/// `device.vary`), adds that dependency to the backend's `Vary` before the cache sees the
/// response: the route's device header when it has one (one stored variant per class), else
/// the fields the class comes from (<see cref="DeviceHints.Fields"/>). Without it, a response
/// stored for a phone would be reused for a desktop asking for the same URL (RFC 9111 §4.1).
/// </summary>
internal sealed class DeviceVaryTransform(ActiveConfig config) : ResponseTransform
{
    public override ValueTask ApplyAsync(ResponseTransformContext context)
    {
        if (MatchedRoute.Of(context.HttpContext, config) is { } route && DependsOnDevice(route))
        {
            var headers = context.HttpContext.Response.Headers;
            headers.Vary = VaryFields.Join(VaryFields.Of(headers.Vary), route.Device is { } device ? [device.Header] : DeviceHints.Fields);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Whether what <paramref name="route"/> answers depends on the client's device class.</summary>
    public static bool DependsOnDevice(RouteSettings route)
        => route.Match.Device != DeviceClass.None || route.Device?.Vary == true;
}
