using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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
        // Data protection's start-up warm-up would still load the key-ring manager the ephemeral
        // provider replaces: it writes a key to ~/.aspnet nothing reads and warns at every start on
        // a fresh home that the key is stored unencrypted. So the warm-up goes. A feature needing
        // keys that outlive the process replaces the ephemeral provider with persisted, protected
        // keys (PersistKeysToFileSystem, ProtectKeysWith…); its ring then loads on first use.
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        foreach (var warmUp in services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType is { Name: "DataProtectionHostedService" } type
                                                   && type.Assembly == typeof(DataProtectionOptions).Assembly).ToArray())
        {
            services.Remove(warmUp);
        }

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
