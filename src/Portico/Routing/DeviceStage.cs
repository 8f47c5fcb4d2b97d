using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Routing;

/// <summary>
/// The declaration of <see cref="DeviceMiddleware"/>: the device header and the `Vary` rewrite
/// are the full pipeline's, on every request of the route (a cache hit's `Vary` too).
/// </summary>
internal sealed class DeviceStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } = [SettingName.Of<RouteSettings>(nameof(RouteSettings.Device))];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.Device is null ? StageVerdict.NotApplied : StageVerdict.FullPipeline(HandOverReason.Device);
}
