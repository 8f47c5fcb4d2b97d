using System.Net;

namespace Portico.Configuration.Model;

/// <summary>One `listeners.NAME` entry: where Portico accepts client connections.</summary>
internal sealed record ListenerSettings
{
    public required string Name { get; init; }

    /// <summary>`address`: host:port to bind, e.g. "0.0.0.0:8080" or "[::1]:8080". Required.</summary>
    public required IPEndPoint EndPoint { get; init; }

    /// <summary>`protocols`: [http1] (default) or [h2c]. Plain-text Kestrel cannot offer both on one port.</summary>
    public ListenerProtocols Protocols { get; init; } = ListenerProtocols.Http1;

    /// <summary>`ipRules`: client addresses this listener serves or refuses (403). Default: everyone.</summary>
    public IpRulesSettings? IpRules { get; init; }
}

internal enum ListenerProtocols
{
    Http1,
    H2c,
}
