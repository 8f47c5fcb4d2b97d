using Portico.Configuration;
using Yarp.ReverseProxy.Transforms;

namespace Portico.Forwarding;

/// <summary>The full path's adapter of <see cref="HiddenHeaders"/>: removes what stays behind from the response YARP copied.</summary>
internal sealed class HiddenHeadersTransform(ActiveConfig config) : ResponseTransform
{
    public override ValueTask ApplyAsync(ResponseTransformContext context)
    {
        var response = context.HttpContext.Response;
        IEnumerable<string> connection = context.ProxyResponse?.Headers.NonValidated.TryGetValues("Connection", out var lines) == true ? (IEnumerable<string>)lines : [];
        HiddenHeaders.Remove(response.Headers, response.StatusCode, config.Current.Settings.Proxy.HideResponseHeaders, connection);
        return ValueTask.CompletedTask;
    }
}
