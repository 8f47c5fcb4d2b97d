using Yarp.ReverseProxy.Configuration;

namespace Portico.Configuration;

/// <summary>
/// Hears from YARP when a revision we handed it is actually serving (or failed to apply), so
/// the applier reports what serves rather than what was merely submitted.
/// </summary>
internal sealed class YarpApplyListener(ConfigApplier applier, ConfigLog log) : IConfigChangeListener
{
    public void ConfigurationLoadingFailed(IProxyConfigProvider configProvider, Exception exception)
        => log.YarpRejected(exception.Message);

    public void ConfigurationLoaded(IReadOnlyList<IProxyConfig> proxyConfigs)
    {
    }

    public void ConfigurationApplyingFailed(IReadOnlyList<IProxyConfig> proxyConfigs, Exception exception)
        => log.YarpRejected(exception.Message);

    public void ConfigurationApplied(IReadOnlyList<IProxyConfig> proxyConfigs)
    {
        foreach (var config in proxyConfigs)
        {
            if (int.TryParse(config.RevisionId, System.Globalization.CultureInfo.InvariantCulture, out var revision))
            {
                applier.MarkServing(revision);
            }
        }
    }
}
