using Microsoft.AspNetCore.Builder;

namespace Portico.Headers;

/// <summary>The public face of the header rules: the response stage (the request side is a transform, added with the others in Forwarding/PorticoTransformProvider).</summary>
internal static class HeaderRulesServices
{
    public static IApplicationBuilder UsePorticoHeaderRules(this IApplicationBuilder app)
        => app.UseMiddleware<HeaderRulesMiddleware>();
}
