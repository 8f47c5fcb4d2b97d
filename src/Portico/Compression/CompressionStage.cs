using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Compression;

/// <summary>
/// The declaration of <see cref="CompressionMiddleware"/>: it encodes forwarded responses, on
/// the full pipeline only. A cache hit costs it nothing (the cache, outside it, stores the
/// encoded variants), so a cached route's fresh hits may still take the fast path.
/// </summary>
internal sealed class CompressionStage : IRouteStage
{
    public IReadOnlyList<SettingName> Settings { get; } = [SettingName.Of<RouteSettings>(nameof(RouteSettings.Compression))];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.Compression is null ? StageVerdict.NotApplied : StageVerdict.FullPipelineWhenForwarding(HandOverReason.Compression);
}
