using Portico.Configuration.Model;

namespace Portico.Pipeline;

/// <summary>
/// A per-route stage's declaration, read when a config is applied (see <see cref="RouteStages"/>):
/// which settings it owns, and for each route whether it applies and whether the fast path
/// honours it there. A new per-route stage is one of these, beside its middleware, and one line
/// in <see cref="RouteStages.All"/>; a setting no stage claims keeps every route on the full pipeline.
/// </summary>
internal interface IRouteStage
{
    /// <summary>The settings properties this stage reads (and so classifies for the fast path).</summary>
    IReadOnlyList<SettingName> Settings { get; }

    /// <summary>What the stage does on <paramref name="route"/> under <paramref name="settings"/>, and whether the fast path can do it.</summary>
    StageVerdict Declare(RouteSettings route, PorticoSettings settings);
}
