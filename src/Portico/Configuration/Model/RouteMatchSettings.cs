using System.Net;
using System.Text.RegularExpressions;

namespace Portico.Configuration.Model;

/// <summary>The `match` section of a route. Every given condition must hold.</summary>
internal sealed record RouteMatchSettings
{
    /// <summary>`hosts`: host names, "*.example.com" wildcards allowed, optional ":port". Default: any host.</summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];

    /// <summary>`path`: a route template such as "/api/{**rest}" or "/users/{id:int}".</summary>
    public string? Path { get; init; }

    /// <summary>`pathPrefix`: "/api" matches /api and everything below it.</summary>
    public string? PathPrefix { get; init; }

    /// <summary>`pathRegex`: a .NET regular expression the request path must match.</summary>
    public Regex? PathRegex { get; init; }

    /// <summary>`methods`: HTTP methods. Default: any.</summary>
    public IReadOnlyList<string> Methods { get; init; } = [];

    /// <summary>`headers`: NAME → value or {values, mode, caseSensitive}.</summary>
    public IReadOnlyList<ValueMatchSettings> Headers { get; init; } = [];

    /// <summary>`query`: NAME → value or {values, mode, caseSensitive}.</summary>
    public IReadOnlyList<ValueMatchSettings> Query { get; init; } = [];

    /// <summary>`device`: device classes (mobile, tablet, desktop, bot) the client must be one of. Default: any.</summary>
    public DeviceClass Device { get; init; }

    /// <summary>`clientIps`: addresses or CIDR blocks the real client address must be in. Default: any.</summary>
    public IReadOnlyList<IPNetwork> ClientIps { get; init; } = [];

    /// <summary>`cookies`: NAME → value or {values, mode, caseSensitive}, as `headers`.</summary>
    public IReadOnlyList<ValueMatchSettings> Cookies { get; init; } = [];
}

/// <summary>A header or query-parameter condition.</summary>
internal sealed record ValueMatchSettings
{
    public required string Name { get; init; }

    public IReadOnlyList<string> Values { get; init; } = [];

    /// <summary>`mode`: exact (default), prefix, contains, not-contains, exists, not-exists.</summary>
    public ValueMatchMode Mode { get; init; } = ValueMatchMode.Exact;

    /// <summary>`caseSensitive`: default false.</summary>
    public bool CaseSensitive { get; init; }
}

internal enum ValueMatchMode
{
    Exact,
    Prefix,
    Contains,
    NotContains,
    Exists,
    NotExists,
}
