namespace Portico.Routing;

/// <summary>
/// What the route's `rewrite` sends the backend in place of the client's request target and Host,
/// worked out once per request by <see cref="RewriteMiddleware"/> (so every retry sends the same)
/// and applied by <see cref="RewriteTransform"/>. <see cref="PathAndQuery"/> is percent-encoded as
/// it goes on the wire; null fields are left as they were.
/// </summary>
internal sealed record RewrittenTarget(string? PathAndQuery, string? Host);
