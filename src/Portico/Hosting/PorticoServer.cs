using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portico.Admin;
using Portico.Configuration;

namespace Portico.Hosting;

/// <summary>A running Portico: the proxy server and, unless turned off, the admin server beside it.</summary>
internal sealed class PorticoServer : IAsyncDisposable
{
    private static readonly TimeSpan AdminStopLimit = TimeSpan.FromSeconds(5);

    private PorticoServer(WebApplication proxy, WebApplication? admin)
    {
        Proxy = proxy;
        Admin = admin;
    }

    public WebApplication Proxy { get; }

    public WebApplication? Admin { get; }

    public IServiceProvider Services => Proxy.Services;

    /// <param name="fastPath">Whether the fast path runs; null lets PORTICO_FASTPATH decide (tests run both paths in one process).</param>
    public static PorticoServer Build(LoadedConfig initial, string? configPath, Action<ILoggingBuilder>? logging = null, bool? fastPath = null)
    {
        var proxy = PorticoHost.Build(initial, configPath, logging, fastPath);
        var admin = initial.Settings!.Admin is { Enabled: true } settings
            ? AdminHost.Build(proxy.Services, settings, builder => PorticoHost.ConfigureLogging(builder, logging))
            : null;
        return new PorticoServer(proxy, admin);
    }

    public async Task StartAsync()
    {
        await Proxy.StartAsync();
        if (Admin is not null)
        {
            await Admin.StartAsync();
        }
    }

    /// <summary>
    /// Until SIGTERM or Ctrl-C; then the proxy drains (its host stops it within the grace
    /// period) while the admin server still answers, and the admin server stops last.
    /// </summary>
    public async Task WaitForShutdownAsync()
    {
        await Proxy.WaitForShutdownAsync();
        if (Admin is not null)
        {
            using var stop = new CancellationTokenSource(AdminStopLimit);
            await Admin.StopAsync(stop.Token);
        }
    }

    public IReadOnlyList<Uri> ProxyAddresses => AddressesOf(Proxy);

    public Uri? AdminAddress => Admin is null ? null : AddressesOf(Admin)[0];

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Admin is not null)
        {
            await Admin.StopAsync(cancellationToken);
        }

        await Proxy.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Admin is not null)
        {
            await Admin.DisposeAsync();
        }

        await Proxy.DisposeAsync();
    }

    private static Uri[] AddressesOf(WebApplication app)
        => app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToArray();
}
