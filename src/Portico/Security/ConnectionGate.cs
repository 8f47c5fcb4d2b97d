using System.Net;
using System.Net.Security;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Security.Desync;

namespace Portico.Security;

/// <summary>
/// The connection-level part of stage 2, on each Kestrel listener: names the listener for the
/// request stages, closes a connection past `maxConnections` (all listeners together) or
/// `maxConnectionsPerIp` (on the TCP peer: no header is read yet), and on HTTP/1.x listeners puts
/// the byte-level <see cref="DesyncConnectionMiddleware"/> in front of Kestrel's parser. Kestrel
/// itself enforces the other server-wide limits (<see cref="ApplyServerLimits"/>).
/// </summary>
/// <remarks>
/// `maxConnections` is counted here rather than by Kestrel's own limit (its MaxConcurrentConnections)
/// so that a refusal is logged and counted in `portico.guard.connections.refused` under either
/// transport and dispatcher: Kestrel's limit wraps the pipeline outside every middleware, where
/// only its own meter (not exported) saw a refusal, and the event-loop transport's dispatcher
/// runs the pipeline without it. It releases a connection's slot the way Kestrel's does: when the
/// connection ends, or when it upgrades (a WebSocket), through <see cref="IDecrementConcurrentConnectionCountFeature"/>;
/// upgraded connections are then bounded by Kestrel's MaxConcurrentUpgradedConnections, set to the same number.
/// </remarks>
internal sealed class ConnectionGate(LimitsSettings serverLimits)
{
    private readonly ConnectionSlots? _total = serverLimits.MaxConnections is { } limit ? new ConnectionSlots(limit) : null;
    private readonly Dictionary<IPAddress, int> _open = [];
    private readonly Lock _lock = new();
    private ActiveConfig? _config;
    private GuardLog? _log;
    private GuardMetrics? _metrics;
    private DesyncConnectionMiddleware? _desync;
    private PlainHttpRefusal? _plainHttp;

    /// <summary>Kestrel's own limits from `limits`; read when the server starts.</summary>
    public static void ApplyServerLimits(KestrelServerLimits kestrel, LimitsSettings limits)
    {
        // Our HTTP/1 validator counts a line without its CRLF and meets these first; Kestrel's
        // copies bound HTTP/2 requests.
        kestrel.MaxRequestLineSize = (int)limits.MaxRequestLine + 2;
        kestrel.MaxRequestHeaderCount = limits.MaxHeaderCount;
        kestrel.MaxRequestHeadersTotalSize = (int)limits.MaxHeadersSize + 2;
        kestrel.RequestHeadersTimeout = limits.HeadersTimeout;
        kestrel.KeepAliveTimeout = limits.KeepAliveTimeout;
        kestrel.MinRequestBodyDataRate = limits.MinBodyRate == 0 ? null : new MinDataRate(limits.MinBodyRate, limits.MinBodyRateGrace);
        // MaxConcurrentConnections stays unset: the gate counts `maxConnections` itself.
        kestrel.MaxConcurrentUpgradedConnections = limits.MaxConnections;
    }

    /// <summary>Called once the services exist and before the server starts (which builds the listeners' pipelines).</summary>
    public void Start(IServiceProvider services)
    {
        _config = services.GetRequiredService<ActiveConfig>();
        _log = services.GetRequiredService<GuardLog>();
        _metrics = services.GetRequiredService<GuardMetrics>();
        var time = services.GetRequiredService<TimeProvider>();
        _desync = new DesyncConnectionMiddleware(_config, serverLimits, time, _log, _metrics);
        _plainHttp = new PlainHttpRefusal(time, _log, _metrics);
    }

    /// <summary>
    /// The gate that needs no decrypted byte: the server-wide and per-IP connection caps.
    /// Attach before TLS, so a refused connection costs no handshake.
    /// </summary>
    public void AttachConnectionLimits(ListenOptions options, ListenerSettings listener)
    {
        // Without a cap the connection goes straight on: no state machine stays with it for its
        // whole life (about 120 bytes per open connection, issue 25).
        options.Use(next => connection =>
        {
            var peer = Normalize((connection.RemoteEndPoint as IPEndPoint)?.Address);
            var cap = peer is null ? null : _config!.Current.Settings.Limits.MaxConnectionsPerIp;
            return _total is null && cap is null ? next(connection) : CappedAsync(next, connection, peer, cap);
        });
    }

    private async Task CappedAsync(ConnectionDelegate next, ConnectionContext connection, IPAddress? peer, int? cap)
    {
        ConnectionSlots.Slot? slot = null;
        if (_total is not null)
        {
            slot = _total.TryTake();
            if (slot is null)
            {
                _log!.TooManyConnectionsInTotal(peer?.ToString() ?? "unknown", _total.Limit);
                _metrics!.Refused(GuardMetrics.TotalLimit);
                return;
            }

            // Kestrel's HTTP/1.x gives the slot back itself when the connection upgrades.
            connection.Features.Set<IDecrementConcurrentConnectionCountFeature>(slot);
        }

        var perIp = cap is not null;
        if (perIp && !TryOpen(peer!, cap!.Value, out var open))
        {
            slot?.ReleaseConnection();
            _log!.TooManyConnections(peer!.ToString(), open);
            _metrics!.Refused(GuardMetrics.PerIpLimit);
            return;
        }

        try
        {
            await next(connection);
        }
        finally
        {
            if (perIp)
            {
                Close(peer!);
            }

            slot?.ReleaseConnection();
        }
    }

    /// <summary>On an HTTPS listener, the answer to a client that sent plain HTTP. Attach before TLS: it reads the first byte the handshake would.</summary>
    public void AttachPlainHttpRefusal(ListenOptions options, ListenerSettings listener)
    {
        if (listener.Tls is not null)
        {
            options.Use(next => _plainHttp!.Wrap(next, listener.Name));
        }
    }

    /// <summary>
    /// The HTTP/1.x framing check. Attach after TLS, so it reads the decrypted request bytes; on
    /// a TLS listener that also offers h2 it steps aside for connections that chose h2 by ALPN
    /// (HTTP/2 frames cannot be framed two ways; their header rules are checked per request).
    /// <paramref name="inFront"/> (the fast path) runs before the check and hands it what it does not take;
    /// <paramref name="behind"/> runs after it, in front of Kestrel's HTTP/1.x processing.
    /// </summary>
    public void AttachFraming(ListenOptions options, ListenerSettings listener, Func<ConnectionDelegate, ConnectionDelegate> inFront, Func<ConnectionDelegate, ConnectionDelegate> behind)
    {
        if (!listener.Protocols.HasFlag(ListenerProtocols.Http1))
        {
            return;
        }

        var alsoH2 = listener.Protocols.HasFlag(ListenerProtocols.H2);
        options.Use(next =>
        {
            var checkedFraming = inFront(_desync!.Wrap(behind(next)));

            if (!alsoH2)
            {
                return checkedFraming;
            }

            return connection => connection.Features.Get<ISslStreamFeature>()?.SslStream.NegotiatedApplicationProtocol == SslApplicationProtocol.Http2
                ? next(connection)
                : checkedFraming(connection);
        });
    }

    private bool TryOpen(IPAddress peer, int cap, out int open)
    {
        lock (_lock)
        {
            open = _open.GetValueOrDefault(peer);
            if (open >= cap)
            {
                return false;
            }

            _open[peer] = open + 1;
            return true;
        }
    }

    private void Close(IPAddress peer)
    {
        lock (_lock)
        {
            var open = _open.GetValueOrDefault(peer) - 1;
            if (open > 0)
            {
                _open[peer] = open;
            }
            else
            {
                _open.Remove(peer);
            }
        }
    }

    private static IPAddress? Normalize(IPAddress? address)
        => address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;
}
