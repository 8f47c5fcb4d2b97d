using Portico.Headers;

namespace Portico.Configuration.Model;

/// <summary>
/// One custom page (`errorPages.STATUS`, a route's own, or `maintenance.page`): its body, read
/// and parsed when the config loads, and the content type it is sent with. It is served to every
/// client of its status whatever the client's Accept, in the content type given here.
/// </summary>
internal sealed record ErrorPageSettings
{
    /// <summary>`contentType`: the page's Content-Type. Default `text/html; charset=utf-8`.</summary>
    public string ContentType { get; init; } = DefaultContentType;

    /// <summary>`body` or the text of `file`; with `template: true` its `{variables}` are filled per answer, else it is one literal part.</summary>
    public required ValueTemplate Body { get; init; }

    /// <summary>Where the body came from, for the admin API: the file's absolute path, or `inline`.</summary>
    public required string Source { get; init; }

    public const string DefaultContentType = "text/html; charset=utf-8";

    /// <summary>The largest page body, in bytes of UTF-8: a page is held in memory for every route that uses it.</summary>
    public const int MaxBytes = 256 * 1024;
}
