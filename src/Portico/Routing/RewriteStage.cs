using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Routing;

/// <summary>
/// The declaration of <see cref="RewriteMiddleware"/>: it changes only what is forwarded (the
/// cache keys on the client's URL, and stores what the backend answered with its `Location`
/// already turned back), so a cached route's fresh hits stay on the fast path. A `pathPrefix`
/// alone the fast path does itself, on the targets it can send as the full path would.
/// </summary>
internal sealed class RewriteStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } = [SettingName.Of<RouteSettings>(nameof(RouteSettings.Rewrite))];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.Rewrite is null ? StageVerdict.NotApplied
            // A prefix replaced and nothing else: the fast path does it (FastPath/FastRewrite).
            : route.Rewrite is { PathPrefix: not null, Path: null, Query.Count: 0, Host: null } ? StageVerdict.Honoured
            : StageVerdict.FullPipelineWhenForwarding(HandOverReason.Rewrite);
}
