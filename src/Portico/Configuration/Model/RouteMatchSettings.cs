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
