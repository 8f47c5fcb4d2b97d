using System.Buffers;
using System.Net.Security;
using Portico.Tls.Acme;

namespace Portico.Tests.Tls.Acme;

public sealed class ClientHelloAlpnTests
{
    [Fact]
    public async Task The_protocols_offered_in_a_real_client_hello_are_read()
    {
        var hello = await ClientHelloAsync([new SslApplicationProtocol("acme-tls/1"), SslApplicationProtocol.Http11]);

        Assert.Equal(ClientHelloAlpn.Result.Done, ClientHelloAlpn.TryRead(new ReadOnlySequence<byte>(hello), out var offered));
        Assert.Equal(["acme-tls/1", "http/1.1"], offered);
    }

    [Fact]
    public async Task A_hello_without_alpn_offers_nothing_and_a_partial_one_needs_more()
    {
        var hello = await ClientHelloAsync(null);

        Assert.Equal(ClientHelloAlpn.Result.Done, ClientHelloAlpn.TryRead(new ReadOnlySequence<byte>(hello), out var offered));
        Assert.Empty(offered);
        Assert.Equal(ClientHelloAlpn.Result.NeedMore, ClientHelloAlpn.TryRead(new ReadOnlySequence<byte>(hello, 0, hello.Length - 1), out _));
        Assert.Equal(ClientHelloAlpn.Result.NeedMore, ClientHelloAlpn.TryRead(new ReadOnlySequence<byte>(hello, 0, 3), out _));
        Assert.Equal(ClientHelloAlpn.Result.NotTls, ClientHelloAlpn.TryRead(new ReadOnlySequence<byte>("GET / HTTP/1.1\r\n"u8.ToArray()), out _));
    }

    /// <summary>The first bytes .NET's own TLS client sends.</summary>
    private static async Task<byte[]> ClientHelloAsync(List<SslApplicationProtocol>? alpn)
    {
        var capture = new CaptureStream();
        await using var ssl = new SslStream(capture);
        await Assert.ThrowsAsync<IOException>(() => ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "example.test", ApplicationProtocols = alpn }));
        return capture.Written.ToArray();
    }

    /// <summary>Keeps what is written and ends the connection on the first read, as a server that hangs up would.</summary>
    private sealed class CaptureStream : Stream
    {
        public MemoryStream Written { get; } = new();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("closed");

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);
    }
}
