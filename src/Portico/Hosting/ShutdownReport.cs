using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Portico.Observability;

namespace Portico.Hosting;

/// <summary>
/// Says what a shutdown did to the requests in flight: how many there were when it began, and,
/// when the grace period (`proxy.shutdownGracePeriod`, the host's shutdown timeout) runs out
/// before they end, how many the server then cuts off. Both paths count their requests in
/// <see cref="PorticoMetrics"/>, so its in-flight count is the one to read.
/// </summary>
internal static class ShutdownReport
{
    private static readonly TimeSpan Lead = TimeSpan.FromMilliseconds(200);

    public static void Watch(IServiceProvider services)
    {
        var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
        var metrics = services.GetRequiredService<PorticoMetrics>();
        var time = services.GetRequiredService<TimeProvider>();
        var log = services.GetRequiredService<HostLog>();
        var timeout = services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout;
        var grace = $"{timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s";
        lifetime.ApplicationStopping.Register(() =>
        {
            log.Draining(metrics.ActiveRequests, grace);

            // Started just before the host starts its own timeout for the server's drain, and due a
            // moment ahead of it: the count is read before the server's abort lets any of the
            // requests end (a timer due at the same instant may run after requests already ended).
            // Stopped if everything ends first.
            var due = timeout - TimeSpan.FromTicks(Math.Min(timeout.Ticks / 10, Lead.Ticks));
            var deadline = time.CreateTimer(_ => ReportCutOff(metrics, log, grace), null, due, Timeout.InfiniteTimeSpan);
            lifetime.ApplicationStopped.Register(deadline.Dispose);
        });
    }

    private static void ReportCutOff(PorticoMetrics metrics, HostLog log, string grace)
    {
        if (metrics.ActiveRequests is > 0 and var count)
        {
            log.CutOff(grace, count);
        }
    }
}
