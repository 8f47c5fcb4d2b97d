using System.Net.Security;
using Portico.Tls;

namespace Portico.Tests.Tls;

/// <summary>
/// SslStreamHoldings on this runtime: the fast path waits on a TLS connection's encrypted input
/// only when it says the SslStream holds nothing, so it must see a record read ahead, and must
/// answer at all (on a runtime it cannot read, the fast path silently keeps the slower wait).
/// </summary>
public sealed class SslStreamHoldingsTests
{
    [Fact]
    public async Task An_sslstream_is_known_empty_only_once_it_has_handed_on_every_record_it_read()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var certificate = SelfSignedCertificate.Create(["holdings.test"], TimeSpan.FromHours(1), TimeProvider.System);
        var (clientSide, serverSide) = MemoryDuplex.Pair();
        await using var client = new SslStream(clientSide);
        await using var server = new SslStream(serverSide);
        await Task.WhenAll(
            client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "holdings.test", RemoteCertificateValidationCallback = (_, _, _, _) => true }, cancel),
            server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate.Leaf }, cancel));

        // Two records waiting at once: the server's SslStream reads both, and a read with room
        // for the first leaves the second in it.
        await client.WriteAsync(new byte[100], cancel);
        await client.WriteAsync(new byte[100], cancel);
        var buffer = new byte[100];
        Assert.Equal(100, await server.ReadAsync(buffer, cancel));
        Assert.False(SslStreamHoldings.Empty(server));

        Assert.Equal(100, await server.ReadAsync(buffer, cancel));
        Assert.True(SslStreamHoldings.Empty(server));
    }
}
