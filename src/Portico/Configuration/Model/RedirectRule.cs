using System.Text.RegularExpressions;
using Portico.Headers;

namespace Portico.Configuration.Model;

/// <summary>One entry of a route's `redirects` table: which paths it takes and where it sends them.</summary>
internal sealed record RedirectRule
{
    /// <summary>`path`: the exact request path (case-sensitive, RFC 3986 §6.2.2.1). Either this or <see cref="PathRegex"/>.</summary>
    public string? Path { get; init; }

    /// <summary>`pathRegex`: a .NET regular expression on the request path; its groups are `{re.N}` and `{re.NAME}` in <see cref="To"/>.</summary>
    public Regex? PathRegex { get; init; }

    /// <summary>`to`: the `Location`: a path (same scheme and host) or an absolute URL, with variables. Required.</summary>
    public required ValueTemplate To { get; init; }

    /// <summary>`status`: 301, 302, 303, 307 or 308. Default 302.</summary>
    public int Status { get; init; } = 302;

    /// <summary>`query`: keep (default) appends the request's query to the target; drop leaves it out.</summary>
    public bool KeepQuery { get; init; } = true;
}
