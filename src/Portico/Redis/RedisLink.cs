using System.Net;
using Portico.Configuration.Model;
using StackExchange.Redis;

namespace Portico.Redis;

/// <summary>
/// One connection (a StackExchange.Redis multiplexer) for one `redis` section; a reload that
/// changes the section replaces it. It connects in the background and keeps reconnecting by
/// itself, so neither start-up nor a reload waits for Redis, and a Redis that is down when
/// Portico starts is used from the moment it is up.
/// </summary>
internal sealed class RedisLink : IAsyncDisposable
{
    private readonly Task<ConnectionMultiplexer> _connecting;
    private int _up;

    public RedisLink(RedisSettings settings, RedisLog log)
    {
        Settings = settings;
        Endpoint = string.Join(",", settings.Endpoints);
        _connecting = Task.Run(async () =>
        {
            var multiplexer = await ConnectionMultiplexer.ConnectAsync(Options(settings));
            // The command connection's changes only (the pub/sub one follows it), and each once:
            // failed reconnection attempts raise ConnectionFailed again while the server is away.
            multiplexer.ConnectionFailed += (_, e) =>
            {
                if (e.ConnectionType == ConnectionType.Interactive && Interlocked.Exchange(ref _up, 0) == 1)
                {
                    log.ConnectionLost(e.EndPoint?.ToString() ?? Endpoint, e.FailureType.ToString(), e.Exception?.Message ?? "closed");
                }
            };
            multiplexer.ConnectionRestored += (_, e) =>
            {
                if (e.ConnectionType == ConnectionType.Interactive && Interlocked.Exchange(ref _up, 1) == 0)
                {
                    log.Connected(e.EndPoint?.ToString() ?? Endpoint);
                }
            };
            if (multiplexer.IsConnected && Interlocked.Exchange(ref _up, 1) == 0)
            {
                log.Connected(Endpoint);
            }

            return multiplexer;
        });
    }

    private RedisLink(RedisSettings settings, string endpoint, Task<ConnectionMultiplexer> connecting)
    {
        Settings = settings;
        Endpoint = endpoint;
        _connecting = connecting;
    }

    public RedisSettings Settings { get; }

    /// <summary>Completes when the first connection attempt is over, whether or not it connected.</summary>
    public Task<ConnectionMultiplexer> Ready => _connecting;

    public string Endpoint { get; }

    /// <summary>The multiplexer once its first attempt is over (connected or not), else null.</summary>
    public ConnectionMultiplexer? Multiplexer => _connecting.IsCompletedSuccessfully ? _connecting.Result : null;

    public bool Connected => Multiplexer?.IsConnected == true;

    /// <summary>The same connection under <paramref name="settings"/>, whose differences it reads per command (<see cref="RedisSettings.SameConnection"/>).</summary>
    public RedisLink With(RedisSettings settings) => new(settings, Endpoint, _connecting);

    public async ValueTask DisposeAsync()
    {
        try
        {
            var multiplexer = await _connecting;
            await multiplexer.CloseAsync(allowCommandsToComplete: false);
            await multiplexer.DisposeAsync();
        }
        catch (Exception e) when (e is RedisException or ObjectDisposedException or InvalidOperationException)
        {
            // Closing a connection that never came up, or is already gone: nothing is left to release.
        }
    }

    private static ConfigurationOptions Options(RedisSettings settings)
    {
        var options = new ConfigurationOptions
        {
            User = settings.User,
            Password = settings.Password,
            DefaultDatabase = settings.Database,
            ConnectTimeout = Milliseconds(settings.ConnectTimeout),
            AsyncTimeout = Milliseconds(settings.OperationTimeout),
            SyncTimeout = Milliseconds(settings.OperationTimeout),
            // Keep trying in the background instead of failing the first connect; commands sent
            // while disconnected fail at once (the caller then uses per-instance state) rather
            // than queue until a timeout.
            AbortOnConnectFail = false,
            BacklogPolicy = BacklogPolicy.FailFast,
            ClientName = $"portico-{Environment.MachineName}-{Environment.ProcessId}",
            KeepAlive = 5,
        };
        foreach (var endpoint in settings.Endpoints)
        {
            var colon = endpoint.LastIndexOf(':');
            var host = endpoint[..colon].Trim('[', ']');
            var port = int.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            options.EndPoints.Add(IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port));
        }

        if (settings.Tls is { } tls)
        {
            options.Ssl = true;
            options.SslHost = tls.ServerName ?? (options.EndPoints[0] is DnsEndPoint dns ? dns.Host : null);
            if (tls.CaFile is { } ca)
            {
                options.TrustIssuer(ca);
            }
        }

        return options;
    }

    private static int Milliseconds(TimeSpan span) => (int)Math.Clamp(span.TotalMilliseconds, 1, int.MaxValue);
}
