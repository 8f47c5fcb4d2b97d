using Microsoft.Extensions.Logging;

namespace Portico.Auth;

/// <summary>
/// Authentication log events (ids 3300–3399). No event carries a credential: refusals name the
/// route, scheme, reason and client address, never a key, password or user name tried.
/// </summary>
internal sealed partial class AuthLog(ILogger<AuthLog> logger)
{
    [LoggerMessage(3301, LogLevel.Information, "refused request from {Client} on route {Route} with {Status}: {Reason} (schemes {Schemes})")]
    public partial void Refused(string client, string route, int status, string reason, string schemes);

    [LoggerMessage(3302, LogLevel.Debug, "authenticated {User} by {Scheme} on route {Route}")]
    public partial void Authenticated(string user, string scheme, string route);

    [LoggerMessage(3303, LogLevel.Warning, "{Client} is locked out of route {Route} for {Seconds} s after too many failed attempts")]
    public partial void LockedOut(string client, string route, long seconds);

    [LoggerMessage(3304, LogLevel.Information, "credentials file {Path} reloaded")]
    public partial void FileReloaded(string path);

    [LoggerMessage(3305, LogLevel.Error, "credentials file {Path} changed but cannot be used, the last good content stays in use: {Reason}")]
    public partial void FileRefused(string path, string reason);

    [LoggerMessage(3306, LogLevel.Error, "watching credentials file {Path} failed: {Reason}")]
    public partial void FileWatchFailed(string path, string reason);

    [LoggerMessage(3307, LogLevel.Information, "fetched {Count} signing key(s) from {Url}")]
    public partial void JwksFetched(string url, int count);

    [LoggerMessage(3308, LogLevel.Error, "fetching signing keys from {Url} failed, the keys fetched before stay in use: {Reason}")]
    public partial void JwksFailed(string url, string reason);

    [LoggerMessage(3309, LogLevel.Debug, "bearer token refused on route {Route}: {Reason}")]
    public partial void TokenRefused(string route, string reason);

    [LoggerMessage(3310, LogLevel.Error, "forward auth for route {Route} at {Url} unavailable, request refused: {Reason}")]
    public partial void ForwardAuthFailed(string route, string url, string reason);

    [LoggerMessage(3350, LogLevel.Debug, "sent a browser to {Authority} to log in for route {Route}")]
    public partial void OidcLoginStarted(string authority, string route);

    [LoggerMessage(3351, LogLevel.Information, "{User} logged in at {Authority} for route {Route}")]
    public partial void OidcLoggedIn(string user, string authority, string route);

    [LoggerMessage(3352, LogLevel.Warning, "OIDC login for route {Route} refused: {Reason}")]
    public partial void OidcLoginFailed(string route, string reason);

    [LoggerMessage(3353, LogLevel.Information, "session cookie refused on route {Route}: {Reason}")]
    public partial void OidcSessionRefused(string route, string reason);

    [LoggerMessage(3354, LogLevel.Debug, "refreshed the tokens of {User}'s session on route {Route}")]
    public partial void OidcRefreshed(string user, string route);

    [LoggerMessage(3355, LogLevel.Information, "refreshing {User}'s session on route {Route} failed, the session ends: {Reason}")]
    public partial void OidcRefreshFailed(string user, string route, string reason);

    [LoggerMessage(3356, LogLevel.Information, "{User} logged out of route {Route} ({Kind})")]
    public partial void OidcLoggedOut(string user, string route, string kind);

    [LoggerMessage(3357, LogLevel.Error, "the OpenID provider {Authority} cannot be used for route {Route}: {Reason}")]
    public partial void OidcProviderFailed(string authority, string route, string reason);
}
