using System.Diagnostics;
using System.Globalization;
using Portico.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Forwarding;

/// <summary>
/// YARP's backend client, plus the per-cluster connect timeout YARP does not expose. With
/// tracing off, trace headers (traceparent, tracestate) pass through untouched: rewriting the
/// parent to a span nobody exports would break the caller's trace.
/// </summary>
internal sealed class PorticoHttpClientFactory(ActiveConfig config) : ForwarderHttpClientFactory
{
    public const string ConnectTimeoutKey = "portico.connectTimeoutMs";

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        if (config.Current.Settings.Tracing.OtlpEndpoint is null)
        {
            handler.ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator();
        }

        if (context.NewMetadata?.TryGetValue(ConnectTimeoutKey, out var text) == true
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms))
        {
            handler.ConnectTimeout = TimeSpan.FromMilliseconds(ms);
        }
    }

    protected override bool CanReuseOldClient(ForwarderHttpClientContext context)
        => base.CanReuseOldClient(context)
           && context.OldMetadata?.GetValueOrDefault(ConnectTimeoutKey) == context.NewMetadata?.GetValueOrDefault(ConnectTimeoutKey);
}
