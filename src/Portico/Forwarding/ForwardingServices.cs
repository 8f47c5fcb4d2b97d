using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Forwarding;

/// <summary>The public face of forwarding: YARP with our transforms and HTTP client, and the proxy pipeline's outermost stage.</summary>
internal static class ForwardingServices
{
    public static IServiceCollection AddPorticoForwarding(this IServiceCollection services)
    {
        services.AddReverseProxy().AddTransforms<PorticoTransformProvider>();
        // YARP registers data protection for session-affinity cookies, which Portico does not
        // issue; keep its keys in memory rather than writing a key ring to the home directory.
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddSingleton<IForwarderHttpClientFactory, PorticoHttpClientFactory>();
        services.AddSingleton<ForwardingLog>();
        return services;
    }

    public static IReverseProxyApplicationBuilder UsePorticoForwarding(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<ForwardingMiddleware>();
        return proxy;
    }
}
