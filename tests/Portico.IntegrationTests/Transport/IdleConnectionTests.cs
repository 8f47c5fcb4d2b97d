using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;
using Portico.IntegrationTests.Infrastructure;
using Portico.Transport;

namespace Portico.IntegrationTests.Transport;

/// <summary>
/// What an open connection holds while it waits (issue 25: memory per idle connection), and that
/// what was cut from it changes nothing a client sees: a connection keeps no pipe block between
/// reads, carries its features without a table of its own, and after waiting still takes a head
/// in pieces, a large body, or a second request on each of thousands of connections.
/// </summary>
public sealed class IdleConnectionTests
{
    private static string Config(string url) => TransportTests.Config(url);

    /// <summary>The backend answers the method, the path, the body's length and its SHA-256, with a Content-Length.</summary>
    private static async Task Describe(HttpContext context)
    {
        var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var text = Encoding.ASCII.GetBytes($"{context.Request.Method} {context.Request.Path} {body.Length} {Convert.ToHexString(SHA256.HashData(body.ToArray()))}");
        context.Response.ContentLength = text.Length;
        await context.Response.Body.WriteAsync(text);
    }

    private static string Described(string method, string path, byte[] body)
        => $"{method} {path} {body.Length} {Convert.ToHexString(SHA256.HashData(body))}";

    [Fact]
    public async Task A_read_that_finds_the_socket_empty_leaves_no_pool_block_with_the_waiting_connection()
    {
        // Exactly one block's worth, then nothing: read straight into the pipe's block, the read
        // that followed the full one found the socket empty and kept the fresh block it had taken
        // for as long as the connection then waited. The pool here is a real one that counts the
        // blocks out; the connection's reader gives back everything it read each round.
        var ct = TestContext.Current.CancellationToken;
        var pool = new CountingPool();
        using var loop = new EventLoop(98, NullLogger.Instance);
        await using var pair = await LoopPair.ConnectAsync(loop, Input(pool), Output());
        var input = pair.Connection.Transport.Input;
        foreach (var size in new[] { 4096, 4096, 100 * 1024, 300 })
        {
            var sent = RandomNumberGenerator.GetBytes(size);
            await pair.Client.SendAsync(sent, SocketFlags.None, ct);
            var read = await input.ReadAtLeastAsync(size, ct);
            Assert.Equal(sent, read.Buffer.ToArray());
            input.AdvanceTo(read.Buffer.End);

            // Behind whatever the loop is doing for this edge, so the reads it makes for it are
            // over when the count is taken.
            Assert.Equal(0, await LoopPair.OnLoopAsync(loop, () => pool.Outstanding));
        }
    }

    [Fact]
    public async Task The_connection_answers_for_its_own_features_and_keeps_what_others_set_on_it()
    {
        using var loop = new EventLoop(97, NullLogger.Instance);
        await using var pair = await LoopPair.ConnectAsync(loop, Input(new CountingPool()), Output());
        var connection = pair.Connection;
        var features = connection.Features;
        Assert.Same(connection, features.Get<IConnectionIdFeature>());
        Assert.Same(connection, features.Get<IMemoryPoolFeature>());
        Assert.Same(connection, features.Get<LoopConnection>());
        Assert.Null(features.Get<ITlsConnectionFeature>());

        // Set by others (more than the first array holds): kept and found, and each change
        // is a new revision, on which Kestrel's feature caches read again.
        var revision = features.Revision;
        var others = Enumerable.Range(1, 20).Select(rank => typeof(byte).MakeArrayType(rank)).ToArray();
        foreach (var (type, i) in others.Select((t, i) => (t, i)))
        {
            features[type] = i;
        }

        Assert.Equal(19, features[others[19]]);
        Assert.Equal(0, features[others[0]]);
        Assert.True(features.Revision > revision);

        // One of the connection's own, replaced and then removed, as in a FeatureCollection.
        var replaced = new ItemsFeature(new Dictionary<object, object?>());
        features.Set<IConnectionItemsFeature>(replaced);
        Assert.Same(replaced, features.Get<IConnectionItemsFeature>());
        features.Set<IConnectionItemsFeature>(null);
        Assert.Null(features.Get<IConnectionItemsFeature>());
        features[others[3]] = null;
        Assert.Null(features[others[3]]);

        var listed = features.ToDictionary(f => f.Key, f => f.Value);
        Assert.Same(connection, listed[typeof(IConnectionTransportFeature)]);
        Assert.False(listed.ContainsKey(typeof(IConnectionItemsFeature)));
        Assert.False(listed.ContainsKey(others[3]));
        Assert.Same(connection, listed[typeof(ILingeringCloseFeature)]);
        Assert.Equal(8 + 19, listed.Count);
    }

    [Fact]
    public async Task An_idle_connection_then_takes_a_head_sent_in_pieces_and_a_large_body()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b", Describe);
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url));
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(proxy.Address.Host, proxy.Address.Port, ct);
        var stream = client.GetStream();
        var reader = new ByteReader(stream, ct);
        var host = proxy.Address.Authority;

        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /first HTTP/1.1\r\nHost: {host}\r\n\r\n"), ct);
        Assert.Equal(Described("GET", "/first", []), await ReadBodyAsync(reader));
        await Task.Delay(TimeSpan.FromSeconds(1), ct);

        // Seven bytes a write, each its own segment and edge: the head is put together from many reads.
        var head = Encoding.ASCII.GetBytes($"GET /second HTTP/1.1\r\nHost: {host}\r\nX-Pad: {new string('p', 300)}\r\n\r\n");
        for (var at = 0; at < head.Length; at += 7)
        {
            await stream.WriteAsync(head.AsMemory(at, Math.Min(7, head.Length - at)), ct);
            await Task.Delay(2, ct);
        }

        Assert.Equal(Described("GET", "/second", []), await ReadBodyAsync(reader));
        await Task.Delay(TimeSpan.FromSeconds(1), ct);

        var body = RandomNumberGenerator.GetBytes(3 << 20);
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /third HTTP/1.1\r\nHost: {host}\r\nContent-Length: {body.Length}\r\n\r\n"), ct);
        await stream.WriteAsync(body, ct);
        Assert.Equal(Described("POST", "/third", body), await ReadBodyAsync(reader));

        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /fourth HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"), ct);
        Assert.Equal(Described("GET", "/fourth", []), await ReadBodyAsync(reader));
        Assert.Empty(await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task Two_thousand_idle_connections_are_each_served_again()
    {
        const int Count = 2000;
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b", Describe);
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url));
        var host = proxy.Address.Authority;
        var clients = new List<TcpClient>();
        var readers = new List<ByteReader>();
        try
        {
            for (var i = 0; i < Count; i++)
            {
                var client = new TcpClient();
                clients.Add(client);
                var reader = new ByteReader(await ConnectedStreamAsync(client, proxy.Address), ct);
                readers.Add(reader);
                await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"GET /a/{i} HTTP/1.1\r\nHost: {host}\r\n\r\n"), ct);
                Assert.Equal(Described("GET", $"/a/{i}", []), await ReadBodyAsync(reader));
            }

            await Task.Delay(TimeSpan.FromSeconds(1), ct);

            // Every connection at once: each is woken from its wait with its own request.
            await Task.WhenAll(clients.Select(async (client, i) =>
            {
                await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"GET /b/{i} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"), ct);
                Assert.Equal(Described("GET", $"/b/{i}", []), await ReadBodyAsync(readers[i]));
                Assert.Empty(await readers[i].ReadToEndAsync());
            }));
            Assert.Equal(2 * Count, backend.Count);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    /// <summary>Connects <paramref name="client"/> to the proxy; it is the caller's to dispose whether or not that succeeds.</summary>
    private static async Task<NetworkStream> ConnectedStreamAsync(TcpClient client, Uri proxy)
    {
        await client.ConnectAsync(proxy.Host, proxy.Port, TestContext.Current.CancellationToken);
        return client.GetStream();
    }

    /// <summary>A response's status must be 200; returns its Content-Length body as ASCII.</summary>
    private static async Task<string> ReadBodyAsync(ByteReader reader)
    {
        var head = Encoding.ASCII.GetString(await reader.ReadHeadAsync() ?? throw new IOException("the connection closed before a response"));
        Assert.StartsWith("HTTP/1.1 200 ", head, StringComparison.Ordinal);
        var length = head.Split("\r\n").Single(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))["Content-Length:".Length..].Trim();
        return Encoding.ASCII.GetString(await reader.ReadExactlyAsync(int.Parse(length, CultureInfo.InvariantCulture)));
    }

    /// <summary>Input pipe options as LoopTransport's (1 MiB before the reads pause), drawing on <paramref name="pool"/>.</summary>
    private static PipeOptions Input(MemoryPool<byte> pool)
        => new(pool, PipeScheduler.Inline, PipeScheduler.Inline, 1 << 20, 1 << 19, useSynchronizationContext: false);

    private static PipeOptions Output()
        => new(MemoryPool<byte>.Shared, PipeScheduler.Inline, PipeScheduler.Inline, 64 * 1024, 32 * 1024, useSynchronizationContext: false);

    private sealed class ItemsFeature(IDictionary<object, object?> items) : IConnectionItemsFeature
    {
        public IDictionary<object, object?> Items { get; set; } = items;
    }

    /// <summary>
    /// Kestrel's pool hands out 4 KiB blocks; this one too, from ordinary arrays, and counts those
    /// not yet given back.
    /// </summary>
    private sealed class CountingPool : MemoryPool<byte>
    {
        private int _outstanding;

        public int Outstanding => Volatile.Read(ref _outstanding);

        public override int MaxBufferSize => 4096;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
        {
            Interlocked.Increment(ref _outstanding);
            return new Block(this);
        }

        protected override void Dispose(bool disposing)
        {
        }

        private sealed class Block(CountingPool pool) : IMemoryOwner<byte>
        {
            private byte[]? _array = new byte[4096];

            public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Block));

            public void Dispose()
            {
                if (_array is not null)
                {
                    _array = null;
                    Interlocked.Decrement(ref pool._outstanding);
                }
            }
        }
    }
}
