using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Portico.Transport;

namespace Portico.FastPath;

/// <summary>
/// Kept-alive HTTP/1.1 connections to backends, per destination address: a request takes an
/// idle one (last in, first out, so the fewest stay warm) or opens a new one, and gives it back
/// when its response ended cleanly. Idle ones are closed after <see cref="IdleTimeout"/>, below
/// the 60 s or more that servers usually keep an idle connection, so one is rarely reused just
/// as the backend closes it (the fast path then retries once on a new connection).
/// </summary>
internal sealed class BackendPool : IDisposable
{
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(50);
    private const int MaxIdlePerEndpoint = 1024;

    private readonly ConcurrentDictionary<string, Endpoint> _endpoints = new(StringComparer.Ordinal);

    /// <summary>The pool for a destination address (the URI YARP holds, e.g. http://127.0.0.1:8080/).</summary>
    public Endpoint For(string address) => _endpoints.GetOrAdd(address, static a => new Endpoint(a));

    /// <summary>Closes connections idle for longer than <see cref="IdleTimeout"/>; called by the clock.</summary>
    public void CloseIdle(long now)
    {
        foreach (var endpoint in _endpoints.Values)
        {
            endpoint.CloseIdle(now - (long)IdleTimeout.TotalMilliseconds);
        }
    }

    public void Dispose()
    {
        foreach (var endpoint in _endpoints.Values)
        {
            endpoint.CloseIdle(long.MaxValue);
        }
    }

    internal sealed class Endpoint
    {
        private readonly Lock _gate = new();

        // Idle connections per event loop (slot 0: plain sockets), so a request takes one
        // whose events its own loop's thread sees.
        private Stack<BackendConnection>[] _idle = [new()];

        public Endpoint(string address)
        {
            var uri = new Uri(address);
            Port = uri.Port;
            if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip))
            {
                EndPoint = new IPEndPoint(ip, uri.Port);
            }
            else
            {
                Host = uri.IdnHost;
            }

            // What .NET's HTTP client sends as Host for this address: the host as the URI has it
            // (an IPv6 literal in brackets, a name in its IDN form), with the port unless it is the scheme's.
            var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host : uri.IdnHost;
            HostField = System.Text.Encoding.ASCII.GetBytes(uri.IsDefaultPort ? host : $"{host}:{uri.Port}");
        }

        /// <summary>The Host field's value a request to this destination carries when the client's has none (an HTTP/1.0 request without Host).</summary>
        public byte[] HostField { get; }

        /// <summary>The destination's address when it is an IP literal; null when it is named (<see cref="Host"/>).</summary>
        public IPEndPoint? EndPoint { get; }

        /// <summary>The destination's host name, resolved for each new connection; null for an IP literal.</summary>
        public string? Host { get; }

        public int Port { get; }

        /// <summary>The most recently returned idle connection on this loop that is still fit for a request.</summary>
        public BackendConnection? TakeIdle(EventLoop? loop)
        {
            var slot = Slot(loop);
            while (true)
            {
                BackendConnection? connection;
                lock (_gate)
                {
                    if (slot >= _idle.Length || !_idle[slot].TryPop(out connection))
                    {
                        return null;
                    }
                }

                if (connection.IsQuiet())
                {
                    return connection;
                }

                connection.Dispose();
            }
        }

        /// <summary>
        /// A new connection, as the full path's SocketsHttpHandler opens one: a named destination
        /// is resolved again for every connection (the runtime keeps no DNS cache; the system
        /// resolver's applies to both paths alike) and its addresses are tried in the resolver's
        /// order until one accepts; <paramref name="timeout"/> bounds the resolution and every
        /// attempt together. Fails with a <see cref="SocketException"/> (the last address's, or
        /// the resolver's), or <see cref="OperationCanceledException"/> past the timeout.
        /// </summary>
        public async ValueTask<BackendConnection> ConnectAsync(TimeSpan timeout, EventLoop? loop)
        {
            if (EndPoint is { } endPoint)
            {
                return await ConnectAsync(endPoint, timeout, loop);
            }

            var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            IPAddress[] addresses;
            using (var cancel = new CancellationTokenSource(timeout))
            {
                addresses = await Dns.GetHostAddressesAsync(Host!, cancel.Token);
            }

            var failure = new SocketException((int)SocketError.HostNotFound);
            foreach (var address in addresses)
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    throw new OperationCanceledException("the connect timeout passed");
                }

                try
                {
                    return await ConnectAsync(new IPEndPoint(address, Port), TimeSpan.FromMilliseconds(left), loop);
                }
                catch (SocketException e)
                {
                    failure = e;
                }
            }

            throw failure;
        }

        private async ValueTask<BackendConnection> ConnectAsync(IPEndPoint endPoint, TimeSpan timeout, EventLoop? loop)
        {
            if (loop is not null)
            {
                return new BackendConnection(await LoopSocket.ConnectAsync(endPoint, loop, timeout), this);
            }

            var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var cancel = new CancellationTokenSource(timeout);
                await socket.ConnectAsync(endPoint, cancel.Token);
                return new BackendConnection(socket, this);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        public void Return(BackendConnection connection)
        {
            connection.IdleSince = Environment.TickCount64;
            lock (_gate)
            {
                var slot = Slot(connection.Loop);
                if (slot >= _idle.Length)
                {
                    var grown = new Stack<BackendConnection>[slot + 1];
                    _idle.CopyTo(grown, 0);
                    for (var i = _idle.Length; i < grown.Length; i++)
                    {
                        grown[i] = new();
                    }

                    _idle = grown;
                }

                if (_idle[slot].Count < MaxIdlePerEndpoint)
                {
                    _idle[slot].Push(connection);
                    return;
                }
            }

            connection.Dispose();
        }

        public void CloseIdle(long idleBefore)
        {
            List<BackendConnection>? stale = null;
            lock (_gate)
            {
                foreach (var idle in _idle)
                {
                    if (idle.Count == 0)
                    {
                        continue;
                    }

                    // The stack's oldest entries are at its bottom; rebuild it without the stale ones.
                    var all = idle.ToArray();
                    idle.Clear();
                    for (var i = all.Length - 1; i >= 0; i--)
                    {
                        if (all[i].IdleSince < idleBefore)
                        {
                            (stale ??= []).Add(all[i]);
                        }
                        else
                        {
                            idle.Push(all[i]);
                        }
                    }
                }
            }

            stale?.ForEach(c => c.Dispose());
        }

        private static int Slot(EventLoop? loop) => loop is null ? 0 : loop.Index + 1;
    }
}

/// <summary>
/// One connection to a backend, with the buffer its response heads are read into: on the client
/// connection's event loop when it has one (<see cref="LoopSocket"/>), else a .NET socket.
/// </summary>
internal sealed class BackendConnection : IDisposable
{
    public const int BufferSize = 16 * 1024;

    private readonly Socket? _socket;
    private readonly LoopSocket? _loopSocket;
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);

    public BackendConnection(Socket socket, BackendPool.Endpoint endpoint)
    {
        _socket = socket;
        Endpoint = endpoint;
    }

    public BackendConnection(LoopSocket socket, BackendPool.Endpoint endpoint)
    {
        _loopSocket = socket;
        Endpoint = endpoint;
    }

    public BackendPool.Endpoint Endpoint { get; }

    public EventLoop? Loop => _loopSocket?.Loop;

    public byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(BackendConnection));

    public long IdleSince { get; set; }

    /// <summary>Bytes sent; a <see cref="SocketException"/> when the backend is gone.</summary>
    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> bytes)
        => _loopSocket is { } loop ? loop.SendAsync(bytes) : _socket!.SendAsync(bytes, SocketFlags.None);

    /// <summary>Bytes received, 0 at the end of the stream; a <see cref="SocketException"/> on a failure.</summary>
    public ValueTask<int> ReceiveAsync(Memory<byte> memory)
        => _loopSocket is { } loop ? loop.ReceiveAsync(memory) : _socket!.ReceiveAsync(memory, SocketFlags.None);

    /// <summary>Whether an idle connection is still open and has nothing unread (see <see cref="LoopSocket.IsQuiet"/>).</summary>
    public bool IsQuiet()
        => _loopSocket is { } loop ? loop.IsQuiet() : !_socket!.Poll(0, SelectMode.SelectRead);

    /// <summary>Ends a pending exchange (its timeout passed): pending reads end; the owner still disposes.</summary>
    public void Abort()
    {
        if (_loopSocket is { } loop)
        {
            loop.Abort();
        }
        else
        {
            _socket!.Dispose();
        }
    }

    public void Dispose()
    {
        _socket?.Dispose();
        _loopSocket?.Dispose();
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
