using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.FastPath;

/// <summary>
/// The fast path's wait for the next request on a TLS connection: it waits on the encrypted
/// input rather than in the SslStream's read, and only while the SslStream holds no byte of the
/// connection (EncryptedInput). Records the SslStream read ahead must still be answered, and a
/// server stop must still end an idle connection with close_notify rather than cut it at the
/// stop's deadline.
/// </summary>
public sealed class TlsRequestLoopTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly TestPki _pki = TestPki.Create();

    public void Dispose() => _pki.Dispose();

    private string Config(string backendUrl) => $$"""
        listeners:
          secure:
            address: 127.0.0.1:0
            tls:
              certificates: [{ cert: {{_pki.WritePem(_pki.Issue("app.test", ["app.test"]), "app").Cert}}, key: {{Path.Combine(_pki.Folder, "app.key.pem")}} }]
        routes:
          all: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app: { destinations: [{{backendUrl}}] }
        """;

    [Fact]
    public async Task A_request_that_fills_the_decrypted_read_and_the_next_in_the_same_burst_are_both_answered()
    {
        await using var backend = await TestBackend.StartAsync("b", ctx => Answer(ctx, $"{ctx.Request.Path}"));
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath: true);
        using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");
        await using var client = await Client.ConnectAsync(proxy.Addresses.Single().Port);

        // The first head is exactly as long as the decrypted side's read (Kestrel's 4 KiB block),
        // so the SslStream stops there and keeps the second record, read with the first from the
        // socket; no further byte comes until both are answered.
        var first = Head("/first", 4096);
        client.Hold();
        await client.Tls.WriteAsync(first, TestContext.Current.CancellationToken);
        await client.Tls.WriteAsync(Head("/second", 0), TestContext.Current.CancellationToken);
        await client.ReleaseAsync();

        Assert.Equal("/first", await client.ReadBodyAsync());
        Assert.Equal("/second", await client.ReadBodyAsync());
        await counters.AssertFastPathServedAsync(2);
    }

    [Fact]
    public async Task An_idle_tls_connection_on_the_fast_path_gets_close_notify_when_the_proxy_stops()
    {
        await using var backend = await TestBackend.StartAsync("b", ctx => Answer(ctx, "ok"));
        var proxy = await TestProxy.StartAsync(Config(backend.Url), fastPath: true);
        Client? client = null;
        Task? stopping = null;
        try
        {
            using var counters = new ProxyCounters(proxy, "portico.fastpath.", "portico.active.requests");
            client = await Client.ConnectAsync(proxy.Addresses.Single().Port);
            await client.Tls.WriteAsync(Head("/a", 0), TestContext.Current.CancellationToken);
            Assert.Equal("ok", await client.ReadBodyAsync());
            await counters.AssertFastPathServedAsync(1);
            var received = client.Received;

            // The stop asks each connection to close; the idle one ends its loop and says
            // close_notify. Cut at the stop's deadline instead, it would get no record more.
            stopping = proxy.DisposeAsync().AsTask();
            Assert.Equal(0, await client.Tls.ReadAsync(new byte[1], TestContext.Current.CancellationToken).AsTask().WaitAsync(Patience, TestContext.Current.CancellationToken));
            Assert.True(client.Received > received, "no close_notify record came before the end of the connection");
        }
        finally
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }

            await (stopping ?? proxy.DisposeAsync().AsTask());
        }
    }

    /// <summary>A body with its Content-Length, which the client reads its responses by.</summary>
    private static Task Answer(HttpContext context, string body)
    {
        context.Response.ContentLength = body.Length;
        return context.Response.WriteAsync(body);
    }

    /// <summary>A GET head for <paramref name="path"/>, padded with a field to <paramref name="length"/> bytes when that is not 0.</summary>
    private static byte[] Head(string path, int length)
    {
        var start = $"GET {path} HTTP/1.1\r\nHost: app.test\r\n";
        if (length == 0)
        {
            return Encoding.ASCII.GetBytes(start + "\r\n");
        }

        const string name = "X-Pad: ";
        var pad = length - start.Length - name.Length - 4;
        return Encoding.ASCII.GetBytes($"{start}{name}{new string('p', pad)}\r\n\r\n");
    }

    /// <summary>A TLS client (ALPN http/1.1) whose socket writes can be held and sent in one burst, and that counts the bytes it receives.</summary>
    private sealed class Client : IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly Burst _burst;
        private readonly MemoryStream _pending = new();

        private Client(Socket socket, Burst burst, SslStream tls)
        {
            _socket = socket;
            _burst = burst;
            Tls = tls;
        }

        public SslStream Tls { get; }

        public long Received => _burst.Received;

        public static async Task<Client> ConnectAsync(int port)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(IPAddress.Loopback, port);
            var burst = new Burst(new NetworkStream(socket, ownsSocket: false));
            var tls = new SslStream(burst);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "app.test",
                ApplicationProtocols = [SslApplicationProtocol.Http11],
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            }).WaitAsync(Patience);
            return new Client(socket, burst, tls);
        }

        public void Hold() => _burst.Holding = true;

        public Task ReleaseAsync() => _burst.ReleaseAsync();

        /// <summary>Reads one response (Content-Length framed) and returns its body.</summary>
        public async Task<string> ReadBodyAsync()
        {
            var buffer = new byte[4096];
            while (true)
            {
                var text = Encoding.ASCII.GetString(_pending.GetBuffer(), 0, (int)_pending.Length);
                var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end >= 0)
                {
                    var field = text[..end].Split("\r\n").Single(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                    var length = int.Parse(field["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    if (text.Length >= end + 4 + length)
                    {
                        var rest = _pending.GetBuffer().AsSpan(end + 4 + length, (int)_pending.Length - end - 4 - length).ToArray();
                        _pending.SetLength(0);
                        _pending.Write(rest);
                        return text.Substring(end + 4, length);
                    }
                }

                var read = await Tls.ReadAsync(buffer).AsTask().WaitAsync(Patience);
                Assert.True(read > 0, "the connection ended before the response");
                _pending.Write(buffer, 0, read);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Tls.DisposeAsync();
            _socket.Dispose();
        }
    }

    /// <summary>The socket's stream: while holding, writes are kept and then sent in one write; reads are counted.</summary>
    private sealed class Burst(NetworkStream inner) : Stream
    {
        private readonly MemoryStream _held = new();
        private long _received;

        public bool Holding { get; set; }

        public long Received => Interlocked.Read(ref _received);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public async Task ReleaseAsync()
        {
            Holding = false;
            await inner.WriteAsync(_held.GetBuffer().AsMemory(0, (int)_held.Length));
            _held.SetLength(0);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            Interlocked.Add(ref _received, read);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Holding)
            {
                _held.Write(buffer.Span);
                return ValueTask.CompletedTask;
            }

            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task FlushAsync(CancellationToken cancellationToken) => Holding ? Task.CompletedTask : inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
