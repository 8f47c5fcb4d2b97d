using Microsoft.Extensions.Hosting;

namespace Portico.Admin;

/// <summary>
/// The lifetime of a server that starts and stops with the proxy (the admin server): the
/// proxy's host alone answers SIGTERM and Ctrl-C and logs the process's start and shutdown, so
/// an operator reads each of those lines once; Hosting/PorticoServer stops this one after
/// the proxy has drained.
/// </summary>
internal sealed class FollowerLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
