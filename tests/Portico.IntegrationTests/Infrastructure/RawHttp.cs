using System.Net.Sockets;
using System.Text;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// Sends bytes exactly as given over a plain TCP socket and reads what comes back until the
/// server closes the connection or the wait runs out. For inputs no well-behaved client sends.
/// </summary>
internal static class RawHttp
{
    public static async Task<RawResponse> SendAsync(Uri server, byte[] request, int waitSeconds = 15)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(request);
        }
        catch (IOException)
        {
            // The server may close before reading everything; what it answered still counts.
        }

        return await ReadToCloseAsync(stream, waitSeconds);
    }

    public static Task<RawResponse> SendAsync(Uri server, string request, int waitSeconds = 15)
        => SendAsync(server, Encoding.Latin1.GetBytes(request), waitSeconds);

    /// <summary>
    /// Reads a socket until the proxy closes the connection or <paramref name="wait"/> passes
    /// (then Closed is false). Straight from the socket, so it works after the client shut down
    /// its own sending side, where a NetworkStream refuses.
    /// </summary>
    public static async Task<RawResponse> ReadToCloseAsync(Socket socket, TimeSpan wait)
    {
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        using var cts = new CancellationTokenSource(wait);
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    return new RawResponse(received.ToArray(), Closed: true);
                }

                received.Write(buffer, 0, n);
            }
        }
        catch (OperationCanceledException)
        {
            return new RawResponse(received.ToArray(), Closed: false);
        }
    }

    /// <summary>Reads until the peer closes (Closed) or nothing more arrives for <paramref name="waitSeconds"/>.</summary>
    public static async Task<RawResponse> ReadToCloseAsync(Stream stream, int waitSeconds)
    {
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        var closed = false;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(waitSeconds));
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer, cts.Token);
                if (n == 0)
                {
                    closed = true;
                    break;
                }

                received.Write(buffer, 0, n);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
            closed = true;
        }

        return new RawResponse(received.ToArray(), closed);
    }
}

/// <summary>What came back: the raw bytes, and whether the server closed the connection.</summary>
internal sealed record RawResponse(byte[] Bytes, bool Closed)
{
    public string Text => Encoding.Latin1.GetString(Bytes);

    /// <summary>The status of the first HTTP/1.x response, or 0 when none arrived.</summary>
    public int Status => Text.StartsWith("HTTP/1.", StringComparison.Ordinal) && Text.Length >= 12 && int.TryParse(Text.AsSpan(9, 3), out var s) ? s : 0;

    /// <summary>How many HTTP/1.x status lines came back.</summary>
    public int ResponseCount => System.Text.RegularExpressions.Regex.Count(Text, @"(^|\n)HTTP/1\.[01] \d{3} ");
}
