using System.Buffers;
using System.Diagnostics.Metrics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Portico.Transport;

/// <summary>
/// Portico's own Kestrel transport for TCP listeners on Linux: connections are accepted on
/// <see cref="EventLoop"/>s (<see cref="LoopListener"/>) and live on them (one loop per
/// processor), read only when epoll says they are readable.
/// Kestrel's socket transport stays registered for anything else (Unix sockets, other systems).
/// `PORTICO_TRANSPORT=sockets` turns it off.
/// </summary>
internal sealed class LoopTransport : IConnectionListenerFactory, IConnectionListenerFactorySelector, IDisposable
{
    public const string Variable = "PORTICO_TRANSPORT";

    /// <summary>The proxy's meter, which /metrics exports.</summary>
    private const string MeterName = "Portico.Proxy";

    /// <summary>Kestrel's own defaults for what a connection may buffer each way.</summary>
    private const long MaxReadBuffer = 1024 * 1024;
    private const long MaxWriteBuffer = 64 * 1024;

    private readonly EventLoop[] _loops;
    private readonly PipeOptions _inputOptions;
    private readonly PipeOptions _outputOptions;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly LoopDispatches? _dispatches;
    private int _next;

    public LoopTransport(IServiceProvider services, ILogger<LoopTransport> log)
    {
        // The pipelines to start connections with on the loops, in place of Kestrel's
        // dispatcher (LoopDispatcher), unless turned off or Kestrel's metrics feature cannot be
        // made (another Kestrel than this build's: said once, at start).
        if (LoopDispatchEnabled)
        {
            if (KestrelMetricsFeature.Found is not null)
            {
                _dispatches = services.GetService<LoopDispatches>();
            }
            else
            {
                TransportLog.DispatchUnavailable(log);
            }
        }

        _time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        _log = log;
        var pool = services.GetService<IMemoryPoolFactory<byte>>()?.Create(new MemoryPoolOptions { Owner = "portico" }) ?? MemoryPool<byte>.Shared;

        // One set of options for every connection's pipes (they are immutable): two objects per
        // connection fewer. The pipes run their callbacks inline, on the loop or the sender.
        _inputOptions = new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, MaxReadBuffer, MaxReadBuffer / 2, useSynchronizationContext: false);
        _outputOptions = new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, MaxWriteBuffer, MaxWriteBuffer / 2, useSynchronizationContext: false);
        _loops = new EventLoop[Math.Max(1, Environment.ProcessorCount)];
        for (var i = 0; i < _loops.Length; i++)
        {
            _loops[i] = new EventLoop(i, log);
        }

        // Read when collected, from every loop's count (LingeringCloses), on the proxy's meter
        // (PorticoMetrics.MeterName: the transport is below Observability in the layering).
        if (services.GetService<IMeterFactory>() is { } meters)
        {
            var meter = meters.Create(MeterName);
            meter.CreateObservableUpDownCounter("portico.lingering.connections", () => _loops.Sum(l => (long)l.Lingering.Count), "{connection}",
                "Closed client connections whose descriptors still read and drop what the client sends, so the response's end is not cut by a reset");
            meter.CreateObservableCounter("portico.lingering.closes", () => _loops.Sum(l => l.Lingering.Started), "{connection}",
                "Client connections closed lingering");
        }
    }

    /// <summary>`PORTICO_DISPATCH=kestrel` leaves every connection to Kestrel's dispatcher (a pool hop each), as before.</summary>
    public static bool LoopDispatchEnabled
        => !string.Equals(Environment.GetEnvironmentVariable("PORTICO_DISPATCH"), "kestrel", StringComparison.OrdinalIgnoreCase);

    /// <summary>Linux on x86-64 (the structures in <see cref="Native"/>), unless the environment says sockets.</summary>
    public static bool Supported
        => OperatingSystem.IsLinux()
        && RuntimeInformation.ProcessArchitecture == Architecture.X64
        && !string.Equals(Environment.GetEnvironmentVariable(Variable), "sockets", StringComparison.OrdinalIgnoreCase);

    /// <summary>The loops, one per processor (tests hold them busy to see who sends).</summary>
    internal IReadOnlyList<EventLoop> Loops => _loops;

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var ip = (IPEndPoint)endpoint;
        var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (ip.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            // Nagle off for every connection: Linux gives an accepted socket the listening
            // socket's TCP_NODELAY, which spares a setsockopt(2) per connection.
            socket.NoDelay = true;
            socket.Bind(ip);
            socket.Listen(512);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException(e.Message, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        try
        {
            var offered = _dispatches?.Claim(endpoint);
            return new ValueTask<IConnectionListener>(new LoopListener(socket, NextLoop(), Connect, _time, _log,
                offered is { } o ? new LoopDispatcher(o.App, o.Features, _log) : null));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var loop in _loops)
        {
            loop.Dispose();
        }
    }

    private LoopConnection Connect(int fd, IPEndPoint? remote) => new(fd, remote, NextLoop(), _inputOptions, _outputOptions);

    private EventLoop NextLoop() => _loops[(int)((uint)Interlocked.Increment(ref _next) % (uint)_loops.Length)];
}
