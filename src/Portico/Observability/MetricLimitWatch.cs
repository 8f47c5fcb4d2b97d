using Microsoft.Extensions.Hosting;
using Portico.Configuration;

namespace Portico.Observability;

/// <summary>
/// Follows each config that serves and says, once per instrument, when the labels loaded since
/// start can outgrow the series limit the instrument was given at start: OpenTelemetry cannot
/// grow it, so a series past it would be folded into the overflow series without another word.
/// </summary>
internal sealed class MetricLimitWatch(ActiveConfig config, MetricShape atStart, MetricsLog log) : IHostedService
{
    private readonly HashSet<string> _told = new(StringComparer.Ordinal);
    private MetricShape? _seen;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_told)
        {
            _seen = new MetricShape(config.Current.Settings);
        }

        config.Changed += Check;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        config.Changed -= Check;
        return Task.CompletedTask;
    }

    private void Check(ConfigSnapshot snapshot)
    {
        lock (_told)
        {
            _seen!.Add(snapshot.Settings);
            foreach (var instrument in MetricLimits.ByConfig.Keys)
            {
                if (MetricLimits.For(instrument, atStart) is { } limit && MetricLimits.Needed(instrument, _seen) is { } needed
                    && needed > limit && _told.Add(instrument))
                {
                    log.LimitExceeded(instrument, needed, limit);
                }
            }
        }
    }
}
