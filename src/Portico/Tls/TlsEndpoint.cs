using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Portico.Configuration.Model;
using Portico.Tls.Acme;

namespace Portico.Tls;

/// <summary>
/// Sets up one Kestrel listener: tags its connections with the listener's name (so request
/// stages can read its settings) and, for a `tls` listener, the handshake: SNI certificate
/// choice per connection, TLS 1.2/1.3 only, ALPN h2/http/1.1, client certificates and session resumption.
/// </summary>
internal static class TlsEndpoint
{
    private const string AcmeTlsKey = "portico.acme-tls";
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    public static void Configure(ListenOptions options, ListenerSettings listener, TlsListeners listeners)
    {
        if (listener.Tls is not { } tls)
        {
            options.Protocols = listener.Protocols == ListenerProtocols.H2c ? HttpProtocols.Http2 : HttpProtocols.Http1;
            return;
        }

        var h2 = listener.Protocols.HasFlag(ListenerProtocols.H2);
        var http1 = listener.Protocols.HasFlag(ListenerProtocols.Http1);
        options.Protocols = (h2 ? HttpProtocols.Http2 : 0) | (http1 ? HttpProtocols.Http1 : 0);
        var alpn = new List<SslApplicationProtocol>();
        if (h2)
        {
            alpn.Add(SslApplicationProtocol.Http2);
        }

        if (http1)
        {
            alpn.Add(SslApplicationProtocol.Http11);
        }

        var certificates = listeners.For(listener);
        var alpnChallenges = tls.AcmeHosts.Count > 0 ? listeners.AlpnChallenges : null;
        if (alpnChallenges is not null)
        {
            options.Use(next => connection => OfferedAcmeTlsAsync(connection, next));
        }

        var clientCas = tls.ClientCertificate is { } mtls ? CertificateFiles.LoadBundle(mtls.CaPath) : null;
        var required = tls.ClientCertificate?.Required ?? false;
        RemoteCertificateValidationCallback? validate = clientCas is null ? null : (_, cert, chain, _) => ClientCertificateValid(cert, chain, clientCas, required);

        // One set of options per certificate, shared by every handshake that serves it: nothing
        // in them depends on the connection, and SslStream copies what it needs from them. A
        // renewed or reloaded certificate is a new ServerCertificate, and the entry of the
        // replaced one goes with it (issue 25: a new TLS connection built them each time).
        // On a resumable listener the entry is ready once its OpenSSL context issues tickets under
        // Portico's rotating keys (SessionTicketKeys.PrepareAsync), so that a certificate's first
        // client gets such a ticket too; the handshakes that arrive meanwhile wait for it.
        var serving = new ConditionalWeakTable<ServerCertificate, Serving>();
        ConditionalWeakTable<ServerCertificate, Serving>.CreateValueCallback create = certificate =>
        {
            var ready = Options(certificate);
            return new Serving(ready, tls.SessionResumption ? listeners.Tickets.PrepareAsync(ready, certificate.Leaf.Subject) : Task.FromResult<SslStream?>(null));
        };

        // Right before TLS: the pipe its records come from, for the fast path's wait between
        // HTTP/1.1 requests (an HTTP/2 connection's reads are Kestrel's).
        if (http1)
        {
            EncryptedInput.Use(options);
        }

        options.UseHttps(new TlsHandshakeCallbackOptions
        {
            HandshakeTimeout = TimeSpan.FromSeconds(10),
            OnConnection = context => OfferedAcmeTls(context.Connection, alpnChallenges) ? ChallengeAsync(context) : ServingAsync(context),
        });
        CloseNotify.Use(options);
        if (tls.SessionResumption)
        {
            NegotiatedCipherCheck.Use(options, listener.Name, listeners);
            SessionTickets.Use(options, listeners.Tickets);
        }

        // Its own function: the fallback's closure over the context is made only for an RFC 8737
        // validation, not in every handshake (issue 25).
        ValueTask<SslServerAuthenticationOptions> ChallengeAsync(TlsHandshakeCallbackContext context)
            => AcmeChallengeAsync(context.ClientHelloInfo.ServerName, alpnChallenges!, () => serving.GetValue(certificates.Select(context.ClientHelloInfo.ServerName), create).Options);

        ValueTask<SslServerAuthenticationOptions> ServingAsync(TlsHandshakeCallbackContext context)
        {
            var entry = serving.GetValue(certificates.Select(context.ClientHelloInfo.ServerName), create);
            return entry.Prepared.IsCompleted ? ValueTask.FromResult(entry.Options) : entry.WhenPreparedAsync();
        }

        SslServerAuthenticationOptions Options(ServerCertificate certificate) => new()
        {
            ServerCertificateContext = certificate.Context,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,

            // .NET resumes sessions (RFC 8446 §2.2, RFC 5077, RFC 5246 §7.3) only from an
            // OpenSSL context it keeps per certificate, and keeps one only without a
            // CipherSuitesPolicy; NegotiatedCipherCheck then holds such a listener to the policy.
            CipherSuitesPolicy = tls.SessionResumption ? null : ModernCiphers.Policy,
            AllowTlsResume = tls.SessionResumption,
            ApplicationProtocols = alpn,
            ClientCertificateRequired = clientCas is not null,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = validate,
        };
    }

    /// <summary>
    /// Notes whether the client offers ALPN "acme-tls/1" by reading its first TLS record without
    /// consuming it; the handshake then reads the same bytes. Only on listeners with ACME hosts.
    /// </summary>
    private static async Task OfferedAcmeTlsAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var input = connection.Transport.Input;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed))
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                while (true)
                {
                    var read = await input.ReadAsync(timeout.Token);
                    var status = ClientHelloAlpn.TryRead(read.Buffer, out var offered);
                    if (status != ClientHelloAlpn.Result.NeedMore || read.IsCompleted)
                    {
                        input.AdvanceTo(read.Buffer.Start);
                        connection.Items[AcmeTlsKey] = offered.Contains(TlsAlpnChallenges.Protocol);
                        break;
                    }

                    input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        await next(connection);
    }

    private static bool OfferedAcmeTls(ConnectionContext connection, TlsAlpnChallenges? challenges)
        => challenges is { Any: true } && connection.Items.TryGetValue(AcmeTlsKey, out var offered) && offered is true;

    /// <summary>RFC 8737 §3: on "acme-tls/1" the challenge certificate is served and that protocol negotiated, and nothing else.</summary>
    private static async ValueTask<SslServerAuthenticationOptions> AcmeChallengeAsync(string? serverName, TlsAlpnChallenges challenges, Func<SslServerAuthenticationOptions> serving)
    {
        if (await challenges.ForAsync(serverName) is not { } certificate)
        {
            return serving();
        }

        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certificate.Context,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ApplicationProtocols = [new SslApplicationProtocol(TlsAlpnChallenges.Protocol)],
        };
    }

    /// <summary>
    /// A presented certificate must chain to one of the configured CAs (never the system store)
    /// and be meant for client authentication; with mode optional, presenting none is fine.
    /// </summary>
    private static bool ClientCertificateValid(X509Certificate? presented, X509Chain? sent, X509Certificate2Collection cas, bool required)
    {
        if (presented is null)
        {
            return !required;
        }

        return TrustedChain.Verify(presented, sent, cas, ClientAuth);
    }
}
