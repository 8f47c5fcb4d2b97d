using System.Net.Security;

namespace Portico.Tls;

/// <summary>
/// The handshake options one certificate is served with, and when its session tickets are under
/// Portico's keys: <see cref="Prepared"/> ends with the in-memory handshake's server side, which
/// holds the certificate's OpenSSL context in .NET's cache while this entry lives (see
/// <see cref="SessionTicketKeys.PrepareAsync"/>); null when none was made.
/// </summary>
internal sealed record Serving(SslServerAuthenticationOptions Options, Task<SslStream?> Prepared)
{
    public async ValueTask<SslServerAuthenticationOptions> WhenPreparedAsync()
    {
        await Prepared;
        return Options;
    }
}
