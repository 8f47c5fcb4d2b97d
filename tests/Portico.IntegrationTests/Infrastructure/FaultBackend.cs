using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>How a <see cref="FaultBackend"/> misbehaves once it has read a request's head.</summary>
public enum Fault
{
    /// <summary>Keeps the connection open and never writes a byte.</summary>
    NeverAnswers,

    /// <summary>Closes the connection with a TCP RST (SO_LINGER 0).</summary>
    Resets,

    /// <summary>Writes bytes that are not an HTTP/1.1 response, then closes.</summary>
    Malformed,

    /// <summary>A valid 200 whose body comes one byte every 50 ms.</summary>
    Trickles,
}

/// <summary>
/// A TCP server on 127.0.0.1 that reads each request's head and then fails as told, for the
/// faults a Kestrel backend cannot produce. It counts the connections it accepted.
/// </summary>
internal sealed class FaultBackend : IAsyncDisposable
{
    public const string TrickledBody = "trickled";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _held = [];
    private readonly Task _loop;
    private int _accepted;

    public FaultBackend(Fault fault)
    {
        Fault = fault;
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public Fault Fault { get; }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public int Accepted => Volatile.Read(ref _accepted);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            var stream = client.GetStream();
            var head = new StringBuilder();
            var buffer = new byte[4096];
            while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    client.Dispose();
                    return;
                }

                head.Append(Encoding.Latin1.GetString(buffer, 0, read));
            }

            switch (Fault)
            {
                case Fault.NeverAnswers:
                    lock (_held)
                    {
                        _held.Add(client);
                    }

                    return;
                case Fault.Resets:
                    client.Client.LingerState = new LingerOption(true, 0);
                    client.Dispose();
                    return;
                case Fault.Malformed:
                    await stream.WriteAsync("HTTP/1.1 two hundred OK\r\nContent-Length: x\r\n\r\nnot http"u8.ToArray(), _stop.Token);
                    client.Dispose();
                    return;
                case Fault.Trickles:
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {TrickledBody.Length}\r\nConnection: close\r\n\r\n"), _stop.Token);
                    foreach (var b in Encoding.ASCII.GetBytes(TrickledBody))
                    {
                        await Task.Delay(50, _stop.Token);
                        await stream.WriteAsync(new[] { b }, _stop.Token);
                    }

                    client.Dispose();
                    return;
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        lock (_held)
        {
            _held.ForEach(c => c.Dispose());
        }

        _stop.Dispose();
    }
}
