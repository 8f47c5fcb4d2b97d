namespace Portico.Configuration.Model;

/// <summary>`normalize.trailingSlash`: which form of a path the route redirects to.</summary>
internal enum TrailingSlash
{
    /// <summary>Paths are taken as they come.</summary>
    Keep,

    /// <summary>A path without a trailing '/' is redirected to the one with it (a last segment with a '.', a file name, excepted).</summary>
    Add,

    /// <summary>A path with a trailing '/' (other than `/`) is redirected to the one without.</summary>
    Remove,
}
