using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Configuration.Model;
using Yarp.ReverseProxy.Model;

namespace Portico.Pipeline;

/// <summary>The settings of the route routing matched, for the stages between routing and the forwarder.</summary>
internal static class MatchedRoute
{
    public static RouteSettings? Of(HttpContext context, ActiveConfig config)
        => context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>() is { } model ? config.Current.Route(model.Config.RouteId) : null;
}
