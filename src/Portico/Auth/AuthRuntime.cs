using System.Collections.Frozen;
using Portico.Redis;

namespace Portico.Auth;

/// <summary>
/// The auth state of one config: each protected route's schemes, the identity header names
/// removed from every request, the OIDC callback and logout paths, and the credential files it
/// watches (closed when retired), and the key rings it keeps in Redis.
/// </summary>
internal sealed class AuthRuntime(FrozenDictionary<string, RouteAuth> routes, string[] identityHeaders, IReadOnlyList<IWatchedFile> files,
    FrozenDictionary<string, OidcEndpoints> oidcPaths, IReadOnlyList<RedisXmlRepository> sharedRings) : IDisposable
{
    public RouteAuth? Route(string routeId) => routes.GetValueOrDefault(routeId);

    /// <summary>The OIDC route whose callback or logout path <paramref name="path"/> is, if any.</summary>
    public OidcEndpoints? OidcEndpoint(string? path) => oidcPaths.Count > 0 && path is not null ? oidcPaths.GetValueOrDefault(path) : null;

    /// <summary>Every identity header name any route writes: a client's copy is removed on every route, so none can be spoofed.</summary>
    public string[] IdentityHeaders { get; } = identityHeaders;

    /// <summary>Starts watching the credential files, and the shared key rings using the host's Redis connection, once this config serves (AuthFileWatcher).</summary>
    public void Watch(AuthLog log, TimeProvider time, RedisConnection redis)
    {
        foreach (var file in files)
        {
            file.Watch(log, time);
        }

        foreach (var ring in sharedRings)
        {
            ring.Attach(redis);
        }
    }

    public void Dispose()
    {
        foreach (var file in files)
        {
            file.Dispose();
        }
    }
}
