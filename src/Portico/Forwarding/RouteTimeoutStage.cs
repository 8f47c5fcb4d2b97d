using Portico.Configuration.Model;
using Portico.Pipeline;

namespace Portico.Forwarding;

/// <summary>The declaration of the route's `timeout` (the request-timeouts stage): the fast path keeps the same deadline on the backend exchange and answers 504 past it.</summary>
internal sealed class RouteTimeoutStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } = [SettingName.Of<RouteSettings>(nameof(RouteSettings.Timeout))];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.Timeout is null ? StageVerdict.NotApplied : StageVerdict.Honoured;
}
