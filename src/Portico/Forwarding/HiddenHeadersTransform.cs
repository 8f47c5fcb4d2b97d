using Portico.Configuration;
using Yarp.ReverseProxy.Transforms;

namespace Portico.Forwarding;

/// <summary>Removes response headers that reveal the backend (Server, X-Powered-By, … per `proxy.hideResponseHeaders`).</summary>
internal sealed class HiddenHeadersTransform(ActiveConfig config) : ResponseTransform
{
    public override ValueTask ApplyAsync(ResponseTransformContext context)
    {
        var headers = context.HttpContext.Response.Headers;
        foreach (var name in config.Current.Settings.Proxy.HideResponseHeaders)
        {
            headers.Remove(name);
        }

        return ValueTask.CompletedTask;
    }
}
