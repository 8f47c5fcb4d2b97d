using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Portico.Headers;

/// <summary>
/// The public face of the header rules: the request side is a YARP request transform (Forwarding's
/// transform provider runs it after the forwarded headers and the raw query), the response side a
/// pipeline stage.
/// </summary>
internal static class HeaderRulesServices
{
    public static IServiceCollection AddPorticoHeaderRules(this IServiceCollection services)
        => services.AddSingleton<HeaderRulesTransform>();

    public static IApplicationBuilder UsePorticoHeaderRules(this IApplicationBuilder app)
        => app.UseMiddleware<HeaderRulesMiddleware>();
}
