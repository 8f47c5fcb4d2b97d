using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Portico.Tls;

/// <summary>
/// After each handshake on a resumable listener: makes sure the connection's OpenSSL context
/// issues tickets under <see cref="SessionTicketKeys"/>. A context is taken over before its
/// certificate's first client; this catches one .NET made again after dropping an unused one
/// (that context's first connection then holds a ticket OpenSSL's own key made, which later gets a
/// full handshake).
/// </summary>
internal static class SessionTickets
{
    public static void Use(ListenOptions options, SessionTicketKeys keys)
        => options.Use(next => connection =>
        {
            if (connection.Features.Get<ISslStreamFeature>()?.SslStream is { } tls)
            {
                keys.Adopt(tls);
            }

            return next(connection);
        });
}
