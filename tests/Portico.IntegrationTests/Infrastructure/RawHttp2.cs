using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// A bare HTTP/2 (h2c, prior knowledge) client that sends requests with header fields exactly as
/// given, HPACK-encoded as literals, so names no HTTP library would send (upper case, CR/LF,
/// transfer-encoding) reach the server; and that tells which frames came back, which no HTTP
/// library shows.
/// </summary>
internal static class RawHttp2
{
    private const byte Data = 0x0, Headers = 0x1, RstStream = 0x3, Settings = 0x4, GoAway = 0x7;

    /// <summary>The outcome: the :status of the response on stream 1, or a reset/GOAWAY code instead.</summary>
    public sealed record Outcome(int Status, int? ResetCode, int? GoAwayCode)
    {
        public bool Refused => Status is >= 400 and < 500 || ResetCode is not null || GoAwayCode is not null;
    }

    public static async Task<Outcome> SendAsync(Uri server, IEnumerable<(string Name, string Value)> fields, string? body = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        var output = new MemoryStream();
        output.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
        WriteFrame(output, Settings, 0, 0, []);
        var block = new MemoryStream();
        foreach (var (name, value) in fields)
        {
            // Literal header field without indexing, new name (RFC 7541 §6.2.2), no Huffman.
            block.WriteByte(0x00);
            WriteString(block, name);
            WriteString(block, value);
        }

        var endStream = body is null ? (byte)0x1 : (byte)0x0;
        WriteFrame(output, Headers, (byte)(0x4 | endStream), 1, block.ToArray());
        if (body is not null)
        {
            WriteFrame(output, Data, 0x1, 1, Encoding.UTF8.GetBytes(body));
        }

        await stream.WriteAsync(output.ToArray());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var header = new byte[9];
        try
        {
            while (true)
            {
                await stream.ReadExactlyAsync(header, cts.Token);
                var length = (header[0] << 16) | (header[1] << 8) | header[2];
                var type = header[3];
                var flags = header[4];
                var id = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7fffffff;
                var payload = new byte[length];
                await stream.ReadExactlyAsync(payload, cts.Token);
                if (type == Settings && (flags & 0x1) == 0)
                {
                    WriteFrame(stream, Settings, 0x1, 0, []);
                }
                else if (type == Headers && id == 1)
                {
                    return new Outcome(StatusOf(payload, flags), null, null);
                }
                else if (type == RstStream && id == 1)
                {
                    return new Outcome(0, BinaryPrimitives.ReadInt32BigEndian(payload), null);
                }
                else if (type == GoAway)
                {
                    return new Outcome(0, null, BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4)));
                }
            }
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            return new Outcome(0, null, -1);
        }
    }

    /// <summary>A frame the server sent on a request's stream: its type, flags and payload length.</summary>
    public readonly record struct Frame(byte Type, byte Flags, int Length)
    {
        public bool IsData => Type == Data;

        public bool EndsStream => (Flags & 0x1) != 0;
    }

    /// <summary>
    /// Sends <paramref name="requests"/> requests with <paramref name="fields"/> one after another on
    /// one connection (streams 1, 3, 5 …), each once the previous one's stream has ended, and
    /// returns the frames the server sent on each stream, in order.
    /// </summary>
    public static async Task<List<List<Frame>>> FramesAsync(Uri server, IEnumerable<(string Name, string Value)> fields, int requests)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        var block = new MemoryStream();
        foreach (var (name, value) in fields)
        {
            block.WriteByte(0x00);
            WriteString(block, name);
            WriteString(block, value);
        }

        var preface = new MemoryStream();
        preface.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
        WriteFrame(preface, Settings, 0, 0, []);
        await stream.WriteAsync(preface.ToArray());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var header = new byte[9];
        var streams = new List<List<Frame>>();
        for (var i = 0; i < requests; i++)
        {
            var id = (2 * i) + 1;
            var frames = new List<Frame>();
            streams.Add(frames);
            var request = new MemoryStream();
            WriteFrame(request, Headers, 0x4 | 0x1, id, block.ToArray());
            await stream.WriteAsync(request.ToArray(), cts.Token);
            while (frames.Count == 0 || !frames[^1].EndsStream)
            {
                await stream.ReadExactlyAsync(header, cts.Token);
                var length = (header[0] << 16) | (header[1] << 8) | header[2];
                var frame = new Frame(header[3], header[4], length);
                var on = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7fffffff;
                await stream.ReadExactlyAsync(new byte[length], cts.Token);
                if (frame.Type == Settings && !frame.EndsStream)
                {
                    WriteFrame(stream, Settings, 0x1, 0, []);
                }
                else if (frame.Type is RstStream or GoAway)
                {
                    throw new InvalidOperationException($"the server sent frame type {frame.Type} on stream {on}");
                }
                else if (on == id)
                {
                    frames.Add(frame);
                }
            }
        }

        return streams;
    }

    // The status is the first field Kestrel encodes: a static-table index (8 = 200 … 14 = 500)
    // or a literal with the :status name (index 8) and a plain three-digit value.
    private static int StatusOf(byte[] payload, byte flags)
    {
        var i = (flags & 0x8) != 0 ? 1 : 0;
        if ((flags & 0x20) != 0)
        {
            i += 5;
        }

        var b = payload[i];
        if ((b & 0x80) != 0)
        {
            return (b & 0x7f) switch { 8 => 200, 9 => 204, 10 => 206, 11 => 304, 12 => 400, 13 => 404, 14 => 500, _ => -1 };
        }

        var valueLength = payload[i + 1] & 0x7f;
        return valueLength == 3 && (payload[i + 1] & 0x80) == 0 ? int.Parse(Encoding.ASCII.GetString(payload, i + 2, 3)) : -1;
    }

    private static void WriteString(Stream s, string text)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        if (bytes.Length >= 127)
        {
            throw new ArgumentException("keep raw HTTP/2 fields under 127 bytes", nameof(text));
        }

        s.WriteByte((byte)bytes.Length);
        s.Write(bytes);
    }

    private static void WriteFrame(Stream s, byte type, byte flags, int stream, byte[] payload)
    {
        Span<byte> head = stackalloc byte[9];
        head[0] = (byte)(payload.Length >> 16);
        head[1] = (byte)(payload.Length >> 8);
        head[2] = (byte)payload.Length;
        head[3] = type;
        head[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(head[5..], stream);
        s.Write(head);
        s.Write(payload);
    }
}
