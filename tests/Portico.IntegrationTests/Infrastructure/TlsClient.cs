using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>Real TLS clients toward 127.0.0.1 that still send a chosen SNI name.</summary>
internal static class TlsClient
{
    /// <summary>One handshake; returns what the server presented and what was negotiated. Certificates are not judged here.</summary>
    public static async Task<Handshake> HandshakeAsync(int port, string serverName, SslProtocols protocols = SslProtocols.None, X509Certificate2? clientCertificate = null, IEnumerable<SslApplicationProtocol>? alpn = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            EnabledSslProtocols = protocols,
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
            ClientCertificates = clientCertificate is null ? null : new X509CertificateCollection { clientCertificate },
            ApplicationProtocols = alpn?.ToList(),
        }).WaitAsync(TimeSpan.FromSeconds(30));

        // With TLS 1.3 a refused client certificate is only reported on the first read.
        await ssl.WriteAsync("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"u8.ToArray());
        var buffer = new byte[1];
        var read = await ssl.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        return new Handshake(X509CertificateLoader.LoadCertificate(ssl.RemoteCertificate!.GetRawCertData()), ssl.SslProtocol, ssl.NegotiatedApplicationProtocol, read > 0);
    }

    /// <summary>An HttpClient that connects to 127.0.0.1:<paramref name="port"/> for any host name, trusting <paramref name="root"/> only.</summary>
    public static HttpClient Http(int port, X509Certificate2 root, X509Certificate2? clientCertificate = null)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectCallback = async (_, cancel) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(IPAddress.Loopback, port, cancel);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, chain, errors) => Trusted(cert, chain, root, errors);
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = new X509CertificateCollection { clientCertificate };
        }

        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The server's chain must end at <paramref name="root"/>; the intermediates it sent are used to get there.</summary>
    private static bool Trusted(X509Certificate? cert, X509Chain? sent, X509Certificate2 root, SslPolicyErrors errors)
    {
        if (cert is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (sent is not null)
        {
            foreach (var element in sent.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(X509CertificateLoader.LoadCertificate(cert.GetRawCertData()));
    }
}

internal sealed record Handshake(X509Certificate2 Certificate, SslProtocols Protocol, SslApplicationProtocol Alpn, bool Answered);
