using Microsoft.Extensions.Hosting;
using Portico.Configuration;
using Portico.Redis;

namespace Portico.Auth;

/// <summary>
/// Starts watching each serving config's credential files with this host's log. A config is
/// built (and may be checked) before the serving host exists, so its files cannot watch from
/// the start; they do from the moment the config serves, as do key rings kept in Redis (through
/// this host's connection).
/// </summary>
internal sealed class AuthFileWatcher(ActiveConfig config, AuthLog log, TimeProvider time, RedisConnection redis) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        config.Changed += Watch;
        Watch(config.Current);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        config.Changed -= Watch;
        return Task.CompletedTask;
    }

    private void Watch(ConfigSnapshot snapshot) => snapshot.Runtime<AuthRuntime>()?.Watch(log, time, redis);
}
