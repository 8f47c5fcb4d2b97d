using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Portico.Tls;

/// <summary>
/// Ends each TLS connection with a close_notify alert (RFC 8446 §6.1, RFC 5246 §7.2.1), which
/// Kestrel does not send: it closes the socket under the SslStream. An OpenSSL 3 client that
/// reads to the end sees the bare close as a truncation, a fatal error, and marks the session
/// not resumable (so `openssl s_time -reuse` never resumed against Portico, and neither does a
/// client that keeps the session of a closed connection to offer on the next).
/// </summary>
internal static class CloseNotify
{
    // The alert is one small record; a peer that stopped reading must not hold the connection.
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(1);

    public static void Use(ListenOptions options)
        => options.Use(next => async connection =>
        {
            await next(connection);

            // Not asked first whether the client is still there: on Portico's transport, reading
            // ConnectionClosed makes the connection's end cancel a token on the thread pool, a
            // pool thread woken per TLS connection (issue 25). To a client already gone the alert
            // goes nowhere or the write fails, and both are caught below.
            if (connection.Features.Get<ISslStreamFeature>()?.SslStream is { } tls)
            {
                try
                {
                    // The alert usually goes into the transport's output pipe at once; only a
                    // write still waiting needs the limit, and with it a timer (issue 25: one
                    // per connection otherwise).
                    var shutdown = tls.ShutdownAsync();
                    if (!shutdown.IsCompleted)
                    {
                        shutdown = shutdown.WaitAsync(Limit);
                    }

                    await shutdown;
                }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or TimeoutException or NotSupportedException)
                {
                    // The client is gone or went first: nothing is owed to it.
                }
            }
        });
}
