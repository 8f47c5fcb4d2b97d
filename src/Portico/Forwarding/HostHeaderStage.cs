using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Forwarding;

/// <summary>The declaration of `preserveHost`: the fast path sends the client's Host as it came; the destination's Host is the full pipeline's (YARP's transform).</summary>
internal sealed class HostHeaderStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } = [SettingName.Of<RouteSettings>(nameof(RouteSettings.PreserveHost))];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.PreserveHost ? StageVerdict.Honoured : StageVerdict.FullPipelineWhenForwarding(HandOverReason.HostRewrite);
}
