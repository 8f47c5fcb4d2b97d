using System.Globalization;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Forwarding;

/// <summary>YARP's backend client, plus the per-cluster connect timeout YARP does not expose.</summary>
internal sealed class PorticoHttpClientFactory : ForwarderHttpClientFactory
{
    public const string ConnectTimeoutKey = "portico.connectTimeoutMs";

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
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
