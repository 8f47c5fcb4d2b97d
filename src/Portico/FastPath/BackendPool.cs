using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

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
        private readonly Stack<BackendConnection> _idle = new();

        public Endpoint(string address)
        {
            var uri = new Uri(address);
            EndPoint = new IPEndPoint(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port);
        }

        public IPEndPoint EndPoint { get; }

        public BackendConnection? TakeIdle()
        {
            lock (_idle)
            {
                return _idle.TryPop(out var connection) ? connection : null;
            }
        }

        public async ValueTask<BackendConnection> ConnectAsync(TimeSpan timeout)
        {
            var socket = new Socket(EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var cancel = new CancellationTokenSource(timeout);
                await socket.ConnectAsync(EndPoint, cancel.Token);
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
            lock (_idle)
            {
                if (_idle.Count < MaxIdlePerEndpoint)
                {
                    _idle.Push(connection);
                    return;
                }
            }

            connection.Dispose();
        }

        public void CloseIdle(long idleBefore)
        {
            List<BackendConnection>? stale = null;
            lock (_idle)
            {
                if (_idle.Count == 0)
                {
                    return;
                }

                // The stack's oldest entries are at its bottom; rebuild it without the stale ones.
                var all = _idle.ToArray();
                _idle.Clear();
                for (var i = all.Length - 1; i >= 0; i--)
                {
                    if (all[i].IdleSince < idleBefore)
                    {
                        (stale ??= []).Add(all[i]);
                    }
                    else
                    {
                        _idle.Push(all[i]);
                    }
                }
            }

            stale?.ForEach(c => c.Dispose());
        }
    }
}

/// <summary>One connection to a backend, with the buffer its response heads are read into.</summary>
internal sealed class BackendConnection(Socket socket, BackendPool.Endpoint endpoint) : IDisposable
{
    public const int BufferSize = 16 * 1024;

    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);

    public Socket Socket { get; } = socket;

    public BackendPool.Endpoint Endpoint { get; } = endpoint;

    public byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(BackendConnection));

    public long IdleSince { get; set; }

    /// <summary>Closes the socket under a pending exchange (its timeout passed); the owner still disposes.</summary>
    public void Abort() => Socket.Dispose();

    public void Dispose()
    {
        Socket.Dispose();
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
