using System.Net.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Portico.Tls;

/// <summary>
/// Holds a resumable listener to <see cref="ModernCiphers"/>. .NET keeps an OpenSSL context per
/// certificate, and with it the session cache and ticket key that resumption needs, only when no
/// CipherSuitesPolicy is given; such a context negotiates from the platform's default list, which
/// on Linux also has ECDHE with AES-CBC for TLS 1.2. Its server-preferred order puts the AEAD
/// suites first, so only a client that offers none of ours lands outside the policy, and that
/// connection is closed right after the handshake, before any request is read.
/// </summary>
internal static class NegotiatedCipherCheck
{
    private static readonly SslApplicationProtocol AcmeTls = new(Acme.TlsAlpnChallenges.Protocol);

    public static void Use(ListenOptions options, string listener, TlsListeners listeners)
    {
        if (ModernCiphers.Policy is null)
        {
            return;
        }

        options.Use(next => connection =>
        {
            // An RFC 8737 validation connection was never held to the policy (TlsEndpoint.AcmeChallenge).
            if (connection.Features.Get<ISslStreamFeature>()?.SslStream is { } tls && !ModernCiphers.Allows(tls.NegotiatedCipherSuite)
                && tls.NegotiatedApplicationProtocol != AcmeTls)
            {
                listeners.CipherRefused(connection.RemoteEndPoint?.ToString() ?? "unknown", listener, tls.NegotiatedCipherSuite);
                connection.Abort(new ConnectionAbortedException("cipher suite outside the listener's policy"));
                return Task.CompletedTask;
            }

            return next(connection);
        });
    }
}
