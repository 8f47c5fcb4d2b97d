using System.Net;

namespace Portico.Configuration.Model;

/// <summary>One `listeners.NAME` entry: where Portico accepts client connections.</summary>
internal sealed record ListenerSettings
{
    public required string Name { get; init; }

    /// <summary>`address`: host:port to bind, e.g. "0.0.0.0:8080" or "[::1]:8080". Required.</summary>
    public required IPEndPoint EndPoint { get; init; }

    /// <summary>
    /// `protocols`: plain text: [http1] (default) or [h2c], as Kestrel cannot offer both on one
    /// port. With `tls`: any of [h2, http1] (default both), chosen per connection by ALPN.
    /// </summary>
    public ListenerProtocols Protocols { get; init; } = ListenerProtocols.Http1;

    /// <summary>`ipRules`: client addresses this listener serves or refuses (403). Default: everyone.</summary>
    public IpRulesSettings? IpRules { get; init; }
    /// <summary>`tls`: makes this an HTTPS listener. Default none (plain text).</summary>
    public ListenerTlsSettings? Tls { get; init; }

    /// <summary>`redirectToHttps`: true (port 443) or a port: every request on this plain listener gets a redirect there. Default off.</summary>
    public int? RedirectToHttpsPort { get; init; }
}

[Flags]
internal enum ListenerProtocols
{
    Http1 = 1,
    H2c = 2,
    H2 = 4,
}
