using Microsoft.AspNetCore.Http;
using Portico.Configuration.Model;

namespace Portico.Routing;

/// <summary>
/// The request's <see cref="DeviceClass"/>, classified once (by the first matcher or stage that
/// asks) and kept as a request feature, so routing and the device header agree.
/// </summary>
internal sealed class ClientDevice
{
    private ClientDevice(DeviceClass device) => Class = device;

    public DeviceClass Class { get; }

    public static DeviceClass Of(HttpContext context)
    {
        var feature = context.Features.Get<ClientDevice>();
        if (feature is null)
        {
            var headers = context.Request.Headers;
            feature = new ClientDevice(DeviceClassifier.Classify(headers.UserAgent.ToString(), headers[DeviceHints.Mobile].ToString(), headers[DeviceHints.Platform].ToString()));
            context.Features.Set(feature);
        }

        return feature.Class;
    }
}
