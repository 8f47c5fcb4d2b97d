namespace Portico.Configuration.Model;

/// <summary>
/// A route's `device` section: the client's device class (Routing/DeviceClassifier) goes to the
/// backend as a request field, and responses that depend on it are cached and marked as such.
/// </summary>
internal sealed record DeviceSettings
{
    /// <summary>`header`: the request field that carries the class (mobile, tablet, desktop, bot); a client's own copy is replaced. Default "X-Device-Class".</summary>
    public string Header { get; init; } = "X-Device-Class";

    /// <summary>
    /// `vary`: every response of the route depends on the class, as if the backend said
    /// `Vary: {header}`: the cache keeps one variant per class. Default false (the backend says so itself).
    /// </summary>
    public bool Vary { get; init; }
}
