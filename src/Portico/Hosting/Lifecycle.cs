using Microsoft.Extensions.Hosting;
using Portico.Admin;
using Portico.Configuration;

namespace Portico.Hosting;

/// <summary>
/// Moves <see cref="Readiness"/> with the proxy host: ready once every hosted service has started
/// (Kestrel has bound each listener; the config was applied before the host started), draining
/// from the first moment of a shutdown. Then, for `proxy.shutdownDelay`, the listeners keep
/// accepting while /readyz answers 503, so a balancer that checks every few seconds takes this
/// instance out before a connection to it is refused; only then does Kestrel close them and
/// the grace period for in-flight requests run. The host's shutdown timeout covers both.
/// </summary>
internal sealed class Lifecycle(Readiness readiness, IHostApplicationLifetime lifetime, ActiveConfig config, LifecycleLog log, TimeProvider time, TimeSpan delay)
    : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        // Registered before anything can stop the host: ApplicationStopping fires on SIGTERM
        // before the host stops its services, so readiness fails before any listener closes.
        lifetime.ApplicationStopping.Register(() =>
        {
            readiness.MarkDraining();
            log.Draining(delay > TimeSpan.Zero ? Duration.Format(delay) : "0s");
        });
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        readiness.MarkReady();
        if (readiness.IsReady)
        {
            log.Ready(config.Current.Revision);
        }

        return Task.CompletedTask;
    }

    /// <summary>Runs before Kestrel's own stop (hosted services stop after every StoppingAsync).</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await Task.Delay(delay, time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ran out first: carry on stopping.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
