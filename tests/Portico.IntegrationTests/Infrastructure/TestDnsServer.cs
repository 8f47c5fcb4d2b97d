using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// A DNS server on 127.0.0.1 (UDP, RFC 1035 §4) that answers A and AAAA questions for the names
/// a test sets, with the TTL it sets, changeable while the test runs; any other name gets
/// NXDOMAIN. It counts the questions it was asked, so a test can wait for the next lookup.
/// </summary>
internal sealed class TestDnsServer : IAsyncDisposable
{
    private readonly UdpClient _socket = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, (IPAddress[] Addresses, int Ttl)> _names = new(StringComparer.OrdinalIgnoreCase);
    private readonly Task _loop;
    private int _questions;

    public TestDnsServer() => _loop = Task.Run(ServeAsync);

    /// <summary>"127.0.0.1:PORT", as a config's `resolver` names it.</summary>
    public string Address => _socket.Client.LocalEndPoint!.ToString()!;

    public int Questions => Volatile.Read(ref _questions);

    /// <summary>How long each answer waits before it is sent (a slow or distant server).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>While true, questions are counted and never answered (a server that is down).</summary>
    public bool Silent { get; set; }

    /// <summary>The records of <paramref name="name"/> from now on (none: an empty answer, not NXDOMAIN).</summary>
    public void Set(string name, int ttlSeconds, params IPAddress[] addresses) => _names[name.TrimEnd('.')] = (addresses, ttlSeconds);

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult query;
            try
            {
                query = await _socket.ReceiveAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref _questions);
            if (!Silent && Answer(query.Buffer) is { } answer)
            {
                _ = SendAsync(answer, query.RemoteEndPoint, Delay);
            }
        }
    }

    private async Task SendAsync(byte[] answer, IPEndPoint to, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _stop.Token);
            await _socket.SendAsync(answer, to, _stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private byte[]? Answer(byte[] query)
    {
        // Header (12 bytes), then one question: labels, QTYPE, QCLASS.
        if (query.Length < 17 || BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(4)) != 1)
        {
            return null;
        }

        var labels = new List<string>();
        var at = 12;
        while (at < query.Length && query[at] != 0)
        {
            labels.Add(Encoding.ASCII.GetString(query, at + 1, query[at]));
            at += query[at] + 1;
        }

        var questionEnd = at + 5;
        var type = BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(at + 1));
        var name = string.Join('.', labels);
        var known = _names.TryGetValue(name, out var records);
        var family = type == 1 ? AddressFamily.InterNetwork : type == 28 ? AddressFamily.InterNetworkV6 : AddressFamily.Unknown;
        var matching = known ? records.Addresses.Where(a => a.AddressFamily == family).ToArray() : [];

        using var response = new MemoryStream();
        var header = new byte[12];
        query.AsSpan(0, 2).CopyTo(header);
        // QR, the query's RD, RA; RCODE 3 (NXDOMAIN) for a name never set.
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)(0x8080 | (query[2] & 0x01) << 8 | (known ? 0 : 3)));
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)matching.Length);
        response.Write(header);
        response.Write(query.AsSpan(12, questionEnd - 12));
        foreach (var address in matching)
        {
            var bytes = address.GetAddressBytes();
            var record = new byte[12];
            BinaryPrimitives.WriteUInt16BigEndian(record, 0xC00C); // the question's name (§4.1.4)
            BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(2), type);
            BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(4), 1);
            BinaryPrimitives.WriteInt32BigEndian(record.AsSpan(6), records.Ttl);
            BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(10), (ushort)bytes.Length);
            response.Write(record);
            response.Write(bytes);
        }

        return response.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _loop;
        _stop.Dispose();
    }
}
