using System.Diagnostics;
using System.Globalization;
using Portico.Configuration;
using Portico.Tls;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Forwarding;

/// <summary>
/// YARP's backend client, plus the per-cluster connect timeout and backend TLS YARP does not expose. With
/// tracing off, trace headers (traceparent, tracestate) pass through untouched: rewriting the
/// parent to a span nobody exports would break the caller's trace. Active health probes are timed
/// here (<see cref="ProbeTimer"/>): YARP sends them through this client.
/// </summary>
internal sealed class PorticoHttpClientFactory(ActiveConfig config, TlsLog tlsLog, TimeProvider time) : ForwarderHttpClientFactory
{
    public const string ConnectTimeoutKey = "portico.connectTimeoutMs";
    public const string TlsKey = "portico.tls";

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.RequestHeaderEncodingSelector = HeaderBytes.Client;
        handler.ResponseHeaderEncodingSelector = HeaderBytes.Client;
        if (config.Current.Settings.Tracing.OtlpEndpoint is null)
        {
            handler.ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator();
        }

        if (context.NewMetadata?.TryGetValue(ConnectTimeoutKey, out var text) == true
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms))
        {
            handler.ConnectTimeout = TimeSpan.FromMilliseconds(ms);
        }

        if (config.Current.Cluster(context.ClusterId)?.Settings.Tls is { } tls)
        {
            BackendTls.Configure(handler, context.ClusterId, tls, tlsLog);
        }
    }

    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler)
        => new ProbeTimer(base.WrapHandler(context, handler), time);

    protected override bool CanReuseOldClient(ForwarderHttpClientContext context)
        => base.CanReuseOldClient(context)
           && context.OldMetadata?.GetValueOrDefault(ConnectTimeoutKey) == context.NewMetadata?.GetValueOrDefault(ConnectTimeoutKey)
           && context.OldMetadata?.GetValueOrDefault(TlsKey) == context.NewMetadata?.GetValueOrDefault(TlsKey);
}
