namespace Portico.Configuration.Model;

/// <summary>A route's `normalize` section: one spelling of each path, reached by redirect.</summary>
internal sealed record NormalizeSettings
{
    /// <summary>`trailingSlash`: add, remove or keep (default).</summary>
    public TrailingSlash TrailingSlash { get; init; }

    /// <summary>`lowercase`: redirect a path with upper-case letters to its lower-case form. Default false.</summary>
    public bool Lowercase { get; init; }

    /// <summary>`status`: the redirect's status, 301, 302, 303, 307 or 308. Default 308, which keeps the method and body.</summary>
    public int Status { get; init; } = 308;
}
