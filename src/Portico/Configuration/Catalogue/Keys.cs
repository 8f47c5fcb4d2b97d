using Portico.Configuration.Model;
using Portico.Headers;

namespace Portico.Configuration.Catalogue;

/// <summary>Short constructors for catalogue entries, so each key reads as one line of data.</summary>
internal static class Keys
{
    public static ConfigKey Section(string path, string description) => new() { Path = path, Kind = ConfigKind.Section, Description = description };

    public static ConfigKey Table(string path, string description) => Section(path, description) with { Table = true };

    public static ConfigKey Names(string path, string description) => new() { Path = path, Kind = ConfigKind.Names, Description = description };

    public static ConfigKey Items(string path, string description) => new() { Path = path, Kind = ConfigKind.Items, Description = description };

    public static ConfigKey Bool(string path, bool @default, string description)
        => new() { Path = path, Kind = ConfigKind.Bool, Description = description, Default = @default ? "true" : "false" };

    public static ConfigKey Int(string path, int min, int max, string description)
        => new() { Path = path, Kind = ConfigKind.Int, Description = description, Min = min, Max = max };

    public static ConfigKey Number(string path, double min, double max, string description)
        => new() { Path = path, Kind = ConfigKind.Number, Description = description, Min = min, Max = max };

    public static ConfigKey Text(string path, string description) => new() { Path = path, Kind = ConfigKind.String, Description = description };

    public static ConfigKey Duration(string path, string description) => new() { Path = path, Kind = ConfigKind.Duration, Description = description };

    public static ConfigKey Size(string path, string description) => new() { Path = path, Kind = ConfigKind.Size, Description = description };

    public static ConfigKey OneOf(string path, IReadOnlyList<string> allowed, string description)
        => new() { Path = path, Kind = ConfigKind.Enum, Description = description, Allowed = allowed, Default = null };

    public static ConfigKey List(string path, string description) => new() { Path = path, Kind = ConfigKind.List, Description = description };

    /// <summary>A custom page's keys under <paramref name="path"/> (`errorPages.STATUS`, a route's, `maintenance.page`).</summary>
    public static IEnumerable<ConfigKey> Page(string path) =>
    [
        Text($"{path}.file", "the page's file, read when the config loads and on every reload (at most 256 KiB; a missing file is a config error). Relative to the config file. Not with `body`.") with { DefaultNote = "—" },
        Text($"{path}.body", "the page inline. Not with `file`.") with { DefaultNote = "—", Example = "\"<h1>Back soon</h1>\"" },
        Bool($"{path}.template", false, $"fill the page's `{{variables}}` per answer: {TemplateParser.KnownInPages}; `{{{{` and `}}}}` are literal braces. Values are escaped for HTML, XML and JSON pages. An unknown variable is a config error.")
            with { Needs = [new("body", "Down")] },
        Text($"{path}.contentType", "the page's Content-Type; it is sent to every client, whatever its `Accept`.") with { Default = ErrorPageSettings.DefaultContentType, Needs = [new("body", "Down")] },
    ];

    /// <summary>`allow` and `deny` under PREFIX.ipRules (listeners and routes share the shape).</summary>
    public static IEnumerable<ConfigKey> IpRules(string prefix, string scope) =>
    [
        Section($"{prefix}.ipRules", $"`{{ allow: [...], deny: [...] }}` for {scope}: see [IP rules](#ip-rules).") with { DefaultNote = "everyone" },
        List($"{prefix}.ipRules.allow", "IPv4 or IPv6 addresses or CIDR blocks; when not empty, every address outside them is refused (403).") with { DefaultNote = "everyone", Example = "[10.0.0.0/8]" },
        List($"{prefix}.ipRules.deny", "addresses or CIDR blocks refused (403), even when also allowed.") with { DefaultNote = "none", Example = "[192.0.2.0/24]" },
    ];

    /// <summary>`request` and `response` under a `headers` section (the top-level defaults and a route's share the shape).</summary>
    public static IEnumerable<ConfigKey> HeaderRules(string path) =>
    [
        .. HeaderDirection($"{path}.request", "the request toward the backend"),
        .. HeaderDirection($"{path}.response", "every response toward the client once routing has run: forwarded ones, cache hits and Portico's own answers (a route's 403 and 429, 404, 502–504)"),
    ];

    private static IEnumerable<ConfigKey> HeaderDirection(string path, string what) =>
    [
        Section(path, $"rules on {what}: every `remove`, then every `set`, then every `append`.") with { DefaultNote = "none" },
        List($"{path}.remove", "header names taken out.") with { DefaultNote = "none", Example = "[X-Debug]" },
        Names($"{path}.set", "header name → value: the field gets this value alone. Values may use [variables](routing.md#header-variables).") with { DefaultNote = "none" },
        Text($"{path}.set.NAME", "the value; `{variable}` is replaced per request, `{{` and `}}` are literal braces.") with { DefaultNote = "—", Example = "\"{client_ip}\"" },
        Names($"{path}.append", "header name → value added as one more field line (kept beside what is there).") with { DefaultNote = "none" },
        Text($"{path}.append.NAME", "the value, as for `set`.") with { DefaultNote = "—", Example = "\"{route}\"" },
    ];

    /// <summary>A certificate file entry: `{ cert, key }` (PEM) or `{ pfx, password }` (PKCS#12).</summary>
    public static IEnumerable<ConfigKey> CertificateSource(string prefix) =>
    [
        Text($"{prefix}.cert", "PEM file: the certificate, then its chain. Relative to the config file.") with { DefaultNote = "none" },
        Text($"{prefix}.key", "PEM private key of `cert`.") with { DefaultNote = "the key is in the `cert` file" },
        Text($"{prefix}.pfx", "PKCS#12 file with the key, certificate and chain (instead of `cert`).") with { DefaultNote = "none" },
        Text($"{prefix}.password", "password of the PKCS#12 file or of an encrypted PEM key.") with { DefaultNote = "none" },
    ];
}
