using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Pages;

/// <summary>
/// The declaration of the route's pages. Its `errorPages` are honoured on the fast path, which
/// renders its own 502 and 504 from the same page and values (ErrorPage); `maintenance` can switch
/// on at any moment through the admin API, and `interceptErrors` rewrites backend answers, so
/// those keep the route on the full pipeline.
/// </summary>
internal sealed class PagesStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } =
    [
        SettingName.Of<RouteSettings>(nameof(RouteSettings.ErrorPages)),
        SettingName.Of<RouteSettings>(nameof(RouteSettings.InterceptErrors)),
        SettingName.Of<RouteSettings>(nameof(RouteSettings.Maintenance)),
    ];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.Maintenance is not null ? StageVerdict.FullPipeline(HandOverReason.Maintenance)
            : route.InterceptErrors.Count > 0 ? StageVerdict.FullPipelineWhenForwarding(HandOverReason.InterceptErrors)
            : route.ErrorPages.Count > 0 ? StageVerdict.Honoured
            : StageVerdict.NotApplied;
}
