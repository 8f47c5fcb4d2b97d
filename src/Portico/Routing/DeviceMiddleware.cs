using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Pipeline;

namespace Portico.Routing;

/// <summary>
/// Stage 3, device part: on a route with a `device` section, the backend gets the client's
/// device class in the route's header (a client's own copy replaced, so a backend can trust it).
/// On the way out, a `Vary` naming that header names the fields the class comes from instead
/// (<see cref="DeviceHints.Fields"/>): a downstream cache never sees Portico's header, so only
/// those let it tell a phone's response from a desktop's (RFC 9110 §12.5.5, RFC 9111 §4.1).
/// Portico's own cache, inside this stage, keys on the header itself (<see cref="DeviceVaryTransform"/>).
/// </summary>
internal sealed class DeviceMiddleware(RequestDelegate next, ActiveConfig config)
{
    public Task Invoke(HttpContext context)
    {
        if (MatchedRoute.Of(context, config)?.Device is not { } settings)
        {
            return next(context);
        }

        context.Request.Headers[settings.Header] = DeviceClassNames.Of(ClientDevice.Of(context));
        context.Response.OnStarting(static state =>
        {
            var (response, header) = ((HttpResponse, string))state;
            response.Headers.Vary = ForClients(response.Headers.Vary, header);
            return Task.CompletedTask;
        }, (context.Response, settings.Header));
        return next(context);
    }

    /// <summary><paramref name="vary"/> with <paramref name="header"/> replaced by the fields the class is computed from; unchanged when it does not name it.</summary>
    internal static StringValues ForClients(StringValues vary, string header)
    {
        var fields = VaryFields.Of(vary);
        if (fields.RemoveAll(f => string.Equals(f, header, StringComparison.OrdinalIgnoreCase)) == 0)
        {
            return vary;
        }

        return VaryFields.Join(fields, DeviceHints.Fields);
    }
}
