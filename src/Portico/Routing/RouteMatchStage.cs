using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Routing;

/// <summary>
/// Stage 3's declaration: the fast path matches a route itself only when its match is literal
/// (exact hosts, a literal path or prefix, methods), so it is certain to pick the router's route.
/// A template, a regex, a header, query, cookie, client address or device rule or a wildcard host
/// is the router's to decide.
/// </summary>
internal sealed class RouteMatchStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } =
    [
        SettingName.Of<RouteSettings>(nameof(RouteSettings.Id)),
        SettingName.Of<RouteSettings>(nameof(RouteSettings.Match)),
        SettingName.Of<RouteSettings>(nameof(RouteSettings.Order)),
        SettingName.Of<RouteMatchSettings>(nameof(RouteMatchSettings.Hosts)),
        SettingName.Of<RouteMatchSettings>(nameof(RouteMatchSettings.Path)),
        SettingName.Of<RouteMatchSettings>(nameof(RouteMatchSettings.PathPrefix)),
        SettingName.Of<RouteMatchSettings>(nameof(RouteMatchSettings.PathRegex)),
        SettingName.Of<RouteMatchSettings>(nameof(RouteMatchSettings.Methods)),
        SettingName.Of<RouteMatchSettings>(nameof(RouteMatchSettings.Headers)),
        SettingName.Of<RouteMatchSettings>(nameof(RouteMatchSettings.Query)),
        SettingName.Of<RouteMatchSettings>(nameof(RouteMatchSettings.Device)),
        SettingName.Of<RouteMatchSettings>(nameof(RouteMatchSettings.ClientIps)),
        SettingName.Of<RouteMatchSettings>(nameof(RouteMatchSettings.Cookies)),
    ];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => IsLiteral(route.Match) ? StageVerdict.Honoured : StageVerdict.FullPipeline(HandOverReason.Match);

    /// <summary>Whether a match is literal: exact hosts without ports, a path without parameters, no regex, header, query, cookie, client address or device rule.</summary>
    public static bool IsLiteral(RouteMatchSettings match)
        => !(match.PathRegex is not null || match.Headers.Count > 0 || match.Query.Count > 0
             || match.Cookies.Count > 0 || match.ClientIps.Count > 0 || match.Device != DeviceClass.None
             || (match.Path is { } p && p.Contains('{')) || match.Hosts.Any(h => h.Contains('*') || h.Contains(':')));
}
