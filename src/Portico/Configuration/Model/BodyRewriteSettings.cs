namespace Portico.Configuration.Model;

/// <summary>A route's `bodyRewrite` section: substitutions in the text of the backend's responses.</summary>
internal sealed record BodyRewriteSettings
{
    public static readonly IReadOnlyList<string> DefaultMimeTypes =
        ["text/html", "text/css", "application/javascript", "application/json", "text/plain", "text/xml"];

    /// <summary>The longest `maxMatchLength` allowed: each response in flight holds up to this many characters between reads.</summary>
    public const int MaxWindow = 64 * 1024;

    /// <summary>`mimeTypes`: media types rewritten (the `Content-Type` before any `;`, case-insensitive). Default: html, css, javascript, json, plain text, xml.</summary>
    public IReadOnlyList<string> MimeTypes { get; init; } = DefaultMimeTypes;

    /// <summary>`rules`: the substitutions; at each place of the text the earliest match wins, a tie goes to the first rule. Required.</summary>
    public required IReadOnlyList<BodyRewriteRule> Rules { get; init; }

    /// <summary>`maxMatchLength`: the longest text a `regex` rule may match, in characters. Default 1KiB (1024).</summary>
    public int MaxMatchLength { get; init; } = 1024;

    /// <summary>`requestIdentity`: ask the backend for an unencoded body (`Accept-Encoding: identity`). Default false.</summary>
    public bool RequestIdentity { get; init; }

    /// <summary>The longest match any rule can make: what the rewriter keeps back between reads, plus one.</summary>
    public int Window => Rules.Max(r => r.Regex is null ? r.Find!.Length : MaxMatchLength);

    /// <summary>Whether responses of <paramref name="contentType"/> are rewritten.</summary>
    public bool Covers(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var semi = contentType.IndexOf(';');
        var type = (semi < 0 ? contentType : contentType[..semi]).Trim();
        return MimeTypes.Any(t => t.Equals(type, StringComparison.OrdinalIgnoreCase));
    }
}
