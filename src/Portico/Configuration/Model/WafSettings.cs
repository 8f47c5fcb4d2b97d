namespace Portico.Configuration.Model;

/// <summary>The `waf` section: what every route that turns the web application firewall on shares.</summary>
internal sealed record WafSettings
{
    public const string DebianCrs = "/usr/share/modsecurity-crs";

    /// <summary>`crs`: directory of the OWASP Core Rule Set (its `rules/REQUEST-*.conf` are loaded); null for `off`. Default Debian's.</summary>
    public string? CrsDirectory { get; init; } = DebianCrs;

    /// <summary>`setup`: rule files loaded before the CRS, for its policy variables (crs-setup.conf's SecActions) and exclusions that must precede it. Default none.</summary>
    public IReadOnlyList<string> SetupFiles { get; init; } = [];

    /// <summary>`rules`: the operator's own ModSecurity rule files, loaded after the CRS. Default none.</summary>
    public IReadOnlyList<string> RuleFiles { get; init; } = [];

    /// <summary>`paranoia`: CRS paranoia level 1–4, a route may override it. Default 1.</summary>
    public int Paranoia { get; init; } = 1;

    /// <summary>`anomalyThreshold`: CRS inbound anomaly score at which a request is refused. Default 5.</summary>
    public int AnomalyThreshold { get; init; } = 5;

    /// <summary>`allowedMethods`: CRS's method policy (rule 911100); CRS alone allows only GET, HEAD, POST and OPTIONS. Default adds PUT, PATCH and DELETE.</summary>
    public IReadOnlyList<string> AllowedMethods { get; init; } = ["GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"];

    /// <summary>`auditLog`: "stdout" or a file path; one JSON line per blocked or detected request. Default stdout.</summary>
    public string AuditLog { get; init; } = "stdout";

    /// <summary>`requestBodyLimit`: bytes of a request body the engine inspects, 1KiB–1GiB. Default 128KiB.</summary>
    public long RequestBodyLimit { get; init; } = 128 * 1024;

    /// <summary>`requestBodyLimitAction`: what a body longer than `requestBodyLimit` gets, `reject` (413) or `inspect-first`; a route may override it. Default reject.</summary>
    public WafBodyLimitAction RequestBodyLimitAction { get; init; } = WafBodyLimitAction.Reject;
}

/// <summary>A route's `waf`: `off`, `detect`, `block`, or a map with the mode and overrides.</summary>
internal sealed record RouteWafSettings
{
    public static readonly RouteWafSettings Off = new() { Mode = WafMode.Off };

    /// <summary>`mode`: off (default), detect (log and forward) or block (403, never forwarded).</summary>
    public required WafMode Mode { get; init; }

    /// <summary>`paranoia`: overrides `waf.paranoia` for this route.</summary>
    public int? Paranoia { get; init; }

    /// <summary>`anomalyThreshold`: overrides `waf.anomalyThreshold` for this route.</summary>
    public int? AnomalyThreshold { get; init; }

    /// <summary>`excludeRules`: rule ids (`942100`) or id ranges (`942100-942199`) removed for this route.</summary>
    public IReadOnlyList<string> ExcludeRules { get; init; } = [];

    /// <summary>`requestBodyLimitAction`: overrides `waf.requestBodyLimitAction` for this route.</summary>
    public WafBodyLimitAction? RequestBodyLimitAction { get; init; }
}

internal enum WafMode
{
    Off,
    Detect,
    Block,
}
