using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Portico.Configuration.Model;
using Portico.FastPath;
using Portico.Security;
using Portico.Tls;
using Portico.Transport;

namespace Portico.Pipeline;

/// <summary>
/// THE order of the stages a connection passes on each listener before any request exists, the
/// connection-level half of <see cref="PorticoPipeline"/>. Each entry says why it sits where it does.
/// </summary>
internal sealed class PorticoConnections(LimitsSettings serverLimits)
{
    private readonly ConnectionGate _gate = new(serverLimits);
    private FastPathHandler? _fastPath;
    private TimeProvider? _time;

    /// <summary>Called once the services exist and before the server starts (which builds the listeners' pipelines).</summary>
    /// <param name="withFastPath">Whether the fast path takes what it can on eligible listeners.</param>
    public void Start(IServiceProvider services, bool withFastPath)
    {
        _gate.Start(services);
        _time = services.GetRequiredService<TimeProvider>();
        if (withFastPath)
        {
            var fastPath = new FastPathHandler(services, serverLimits);
            services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(fastPath.Dispose);
            _fastPath = fastPath;
        }
    }

    /// <summary>The fast path for HTTP/2 requests, as a request middleware; null when the fast path is off. Read after <see cref="Start"/>.</summary>
    public Func<RequestDelegate, RequestDelegate>? StreamFastPath => _fastPath is { } fastPath ? fastPath.WrapStreams : null;

    /// <summary>Kestrel's own limits from `limits`; read when the server starts.</summary>
    public static void ApplyServerLimits(KestrelServerLimits kestrel, LimitsSettings limits) => ConnectionGate.ApplyServerLimits(kestrel, limits);

    public void Use(ListenOptions options, ListenerSettings listener, TlsListeners tls)
    {
        // 2 Guard, per-IP connection cap: before TLS, so a refused connection costs no handshake.
        _gate.AttachConnectionLimits(options, listener);

        // 2 Guard, plain HTTP on an HTTPS listener: before TLS, as it reads the first byte the
        // handshake would; a client that sent HTTP gets a 400 that says so instead of silence.
        _gate.AttachPlainHttpRefusal(options, listener);

        // TLS: certificates by SNI, ALPN, client certificates; everything after reads decrypted bytes.
        TlsEndpoint.Configure(options, listener, tls);

        // Transport: an HTTP/2 connection's responses are sent from its event loop, the flushes
        // of its streams made meanwhile in one system call; after TLS, whose ALPN says which
        // connections speak HTTP/2 on a listener that also offers HTTP/1.1.
        if (listener.Tls is null ? listener.Protocols == ListenerProtocols.H2c : listener.Protocols.HasFlag(ListenerProtocols.H2))
        {
            LoopSends.GatherHttp2(options, always: listener.Tls is null || !listener.Protocols.HasFlag(ListenerProtocols.Http1));
        }

        // 2 Guard, HTTP/1.x framing check: after TLS (it reads the request bytes), before Kestrel's
        // parser. In front of it, the fast path: on TLS listeners too, it reads the decrypted
        // bytes; it forwards what it can and hands the rest of a connection to the framing check
        // and the full pipeline (PorticoPipeline), which read it from the request it could not
        // take. Whether a listener's connection is its to take is read per connection from the
        // current config (FastRoutes.ListenerRefusal). (Decided when the server builds the
        // listener's pipeline, after Start.)
        // Behind the check, Kestrel's HTTP/1.x processing sees a client's half-close as the end of
        // its sending, not of the connection, so such a client still gets its answer.
        _gate.AttachFraming(options, listener,
            next => _fastPath is { } fastPath ? fastPath.Wrap(next, listener.Name) : next,
            next => HalfClosedConnection.Wrap(next, _time!));
    }
}
