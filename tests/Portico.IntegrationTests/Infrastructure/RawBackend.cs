using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// A backend on 127.0.0.1 that records each request exactly as the proxy wrote it (head and
/// body as bytes, which a Kestrel backend would parse and normalise away) and answers every
/// one 200 with a fixed body (and an X-Echo field as the request sent it), keeping the connection open;
/// or with the bytes a test scripts (responses no Kestrel backend can send, such as 1xx ones).
/// </summary>
internal sealed class RawBackend : IAsyncDisposable
{
    /// <summary>The body of every answer.</summary>
    public const string Body = "raw backend";

    private static readonly byte[] Answer = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {Body.Length}\r\nX-Backend: raw\r\n\r\n{Body}");
    private static readonly byte[] HeadAnswer = Answer[..^Body.Length];

    // Answers after which the connection is closed (ThenClose).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<byte[], byte[]> Closing = new();

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private readonly Task _accepting;

    private readonly Func<string, byte[]>? _script;

    private RawBackend(Func<string, byte[]>? script)
    {
        _script = script;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>"http://127.0.0.1:PORT", as config files write it.</summary>
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public ConcurrentQueue<RawRequest> Requests { get; } = new();

    /// <param name="script">The bytes to answer a request with, from its head as text; null for the fixed answer.</param>
    public static RawBackend Start(Func<string, byte[]>? script = null) => new(script);

    /// <summary>A script's answer after which the backend closes the connection (a close-delimited body's end).</summary>
    public static byte[] ThenClose(byte[] answer)
    {
        Closing.AddOrUpdate(answer, answer);
        return answer;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _clients.Add(client);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var stream = client.GetStream();
        var reader = new ByteReader(stream, _stop.Token);
        try
        {
            while (await reader.ReadHeadAsync() is { } head)
            {
                var text = Encoding.Latin1.GetString(head);
                var body = await ReadBodyAsync(reader, text);
                Requests.Enqueue(new RawRequest(head, body));
                var answer = _script?.Invoke(text) ?? AnswerTo(text, head);
                await stream.WriteAsync(answer, _stop.Token);
                if (Closing.TryGetValue(answer, out _))
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <summary>The fixed answer; with the request's X-Echo field's bytes copied into one of its own when it has one.</summary>
    private static byte[] AnswerTo(string text, byte[] head)
    {
        var answer = text.StartsWith("HEAD ", StringComparison.Ordinal) ? HeadAnswer : Answer;
        var echo = text.IndexOf("\r\nX-Echo:", StringComparison.OrdinalIgnoreCase);
        if (echo < 0)
        {
            return answer;
        }

        var line = head.AsSpan(echo + 2);
        line = line[..line.IndexOf("\r\n"u8)];
        var headEnd = answer.AsSpan().IndexOf("\r\n\r\n"u8) + 2;
        return [.. answer.AsSpan(0, headEnd), .. line, .. "\r\n"u8, .. answer.AsSpan(headEnd)];
    }

    /// <summary>The body as framed by Content-Length or chunked coding (RFC 9112 §6.3), raw, chunk lines included.</summary>
    private static async Task<byte[]> ReadBodyAsync(ByteReader reader, string head)
    {
        var fields = head.Split("\r\n");
        if (fields.Any(f => f.StartsWith("transfer-encoding:", StringComparison.OrdinalIgnoreCase) && f.Contains("chunked", StringComparison.OrdinalIgnoreCase)))
        {
            var body = new MemoryStream();
            while (true)
            {
                var sizeLine = await reader.ReadLineAsync() ?? throw new IOException("the body ended before its last chunk");
                body.Write(sizeLine);
                var size = Convert.ToInt32(Encoding.ASCII.GetString(sizeLine).Split(';')[0].Trim(), 16);
                if (size == 0)
                {
                    // Trailer fields, then the blank line.
                    while (await reader.ReadLineAsync() is { Length: > 2 } trailer)
                    {
                        body.Write(trailer);
                    }

                    body.Write("\r\n"u8);
                    return body.ToArray();
                }

                body.Write(await reader.ReadExactlyAsync(size + 2));
            }
        }

        var length = fields.FirstOrDefault(f => f.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase));
        return length is null ? [] : await reader.ReadExactlyAsync(int.Parse(length["content-length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await _accepting;
        _stop.Dispose();
    }
}

/// <summary>One request as the backend received it.</summary>
internal sealed record RawRequest(byte[] Head, byte[] Body)
{
    public string HeadText => Encoding.Latin1.GetString(Head);
}
