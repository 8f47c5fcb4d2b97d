using Microsoft.AspNetCore.Builder;

namespace Portico.Routing;

/// <summary>The public face of device classes in the pipeline (the matcher is registered with the router's policies).</summary>
internal static class DeviceServices
{
    public static IApplicationBuilder UsePorticoDeviceClass(this IApplicationBuilder app)
        => app.UseMiddleware<DeviceMiddleware>();
}
