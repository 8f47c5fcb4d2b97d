using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Constraints;
using Microsoft.Extensions.DependencyInjection;

namespace Portico.Routing;

/// <summary>The public face of routing: the matchers YARP lacks (its stage is ASP.NET's UseRouting).</summary>
internal static class RoutingServices
{
    public static IServiceCollection AddPorticoRouting(this IServiceCollection services)
    {
        services.AddSingleton<MatcherPolicy, PathRegexMatcherPolicy>();
        services.AddSingleton<MatcherPolicy, ClientMatcherPolicy>();
        // The slim host leaves out the regex route constraint; operators may use it in `path`.
        services.Configure<RouteOptions>(o => o.SetParameterPolicy<RegexInlineRouteConstraint>("regex"));
        return services;
    }
}
