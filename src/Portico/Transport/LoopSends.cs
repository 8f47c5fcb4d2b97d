using System.Net.Security;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Portico.Transport;

/// <summary>
/// Which connections of a listener have their sends gathered on their event loop
/// (<see cref="LoopConnection.GatherSends"/>): those that speak HTTP/2.
/// </summary>
internal static class LoopSends
{
    /// <summary>
    /// Attach after TLS, before Kestrel's HTTP processing. <paramref name="always"/>: the listener
    /// speaks only HTTP/2 (h2c, or h2 without http/1.1); otherwise only the connections whose
    /// handshake chose h2 by ALPN. On Kestrel's socket transport this finds no loop and does nothing.
    /// </summary>
    public static void GatherHttp2(ListenOptions options, bool always)
    {
        options.Use(next => connection =>
        {
            if (always || connection.Features.Get<ISslStreamFeature>()?.SslStream.NegotiatedApplicationProtocol == SslApplicationProtocol.Http2)
            {
                connection.Features.Get<LoopConnection>()?.GatherSends();
            }

            return next(connection);
        });
    }
}
