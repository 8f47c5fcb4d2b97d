using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Portico.Tls.Acme;

namespace Portico.Tls;

/// <summary>The TLS concern's face: listener certificates and their watch, ACME, the request-side middleware's needs.</summary>
internal static class TlsServices
{
    public static IServiceCollection AddPorticoTls(this IServiceCollection services)
    {
        services.AddSingleton<TlsLog>();
        services.AddSingleton<TlsSessionLog>();
        services.AddSingleton<SessionTicketKeys>();
        services.AddSingleton<TlsListeners>();
        services.AddSingleton<TlsMetrics>();
        services.AddSingleton<AcmeLog>();
        services.AddSingleton<AcmeCertificates>();
        services.AddSingleton<AcmeShare>();
        services.AddSingleton<Http01Challenges>();
        services.AddSingleton<TlsAlpnChallenges>();
        services.AddSingleton<AcmeChallenges>();
        return services;
    }

    public static IApplicationBuilder UsePorticoTls(this IApplicationBuilder app) => app.UseMiddleware<TlsMiddleware>();

    /// <summary>The ACME background service and the ticket keys' share through Redis; only the running server adds them (`portico check` must not order certificates nor write to Redis).</summary>
    public static IServiceCollection AddPorticoAcme(this IServiceCollection services)
        => services.AddHostedService<AcmeService>()
            .AddSingleton<SharedTicketKeys>().AddHostedService(sp => sp.GetRequiredService<SharedTicketKeys>());
}
