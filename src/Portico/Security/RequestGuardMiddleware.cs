using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Forwarding;
using Portico.Observability;
using Portico.Security.Desync;
using Portico.Security.Limits;

namespace Portico.Security;

/// <summary>
/// Stage 2, the checks that need no route: HTTP/2 header rules (HTTP/1.x bytes were already
/// checked on the connection), CONNECT (501), names with '_', a refused upgrade closing its connection, the
/// served hosts (421) and the listener's IP rules (403).
/// </summary>
internal sealed class RequestGuardMiddleware(RequestDelegate next, ActiveConfig config)
{
    public Task Invoke(HttpContext context)
    {
        var settings = config.Current.Settings;
        var limits = settings.Limits;
        var request = context.Request;
        var http1 = HttpProtocol.IsHttp11(request.Protocol) || HttpProtocol.IsHttp10(request.Protocol);
        if (!http1 && Http2HeaderCheck.Find(request.Headers, limits.UnderscoreHeaders == UnderscoreHeaderPolicy.Reject) is { } problem)
        {
            return Refusal.WriteAsync(context, StatusCodes.Status400BadRequest, LocalReason.MalformedRequest, problem);
        }

        if (HttpMethods.IsConnect(request.Method) && context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect != true)
        {
            // A tunnel request (RFC 9110 §9.3.6) is a forward proxy's business: no backend of a
            // route is its target, and a backend that takes it would open a tunnel behind the
            // proxy. 501 (§15.6.2: not supported for any resource); HTTP/1.x closes, as Kestrel
            // stops reading a CONNECT's connection as HTTP. Extended CONNECT (RFC 8441,
            // WebSockets over HTTP/2) names a resource and passes.
            return Refusal.WriteAsync(context, StatusCodes.Status501NotImplemented, LocalReason.MethodNotAllowed, "CONNECT (a tunnel) is not served", close: http1);
        }

        if (limits.UnderscoreHeaders == UnderscoreHeaderPolicy.Drop)
        {
            DropUnderscoreNames(request.Headers);
        }

        if (http1 && IsUpgradeRequest(request.Headers))
        {
            // The connection validator stops reading an upgrade request's connection as HTTP;
            // if the upgrade does not happen, that connection must not carry another request.
            context.Response.OnStarting(static state =>
            {
                var response = (HttpResponse)state;
                if (response.StatusCode != StatusCodes.Status101SwitchingProtocols)
                {
                    response.Headers.Connection = "close";
                }

                return Task.CompletedTask;
            }, context.Response);
        }

        if (limits.Hosts.Count > 0 && !HostList.Contains(limits.Hosts, request.Host))
        {
            return Refusal.WriteAsync(context, StatusCodes.Status421MisdirectedRequest, LocalReason.UnknownHost, $"host '{request.Host}' is not served");
        }

        if (context.Features.Get<ListenerFeature>() is { } listener && settings.Listener(listener.Name)?.IpRules is { } rules && !rules.Permits(ClientAddress.Of(context)))
        {
            return Refusal.WriteAsync(context, StatusCodes.Status403Forbidden, LocalReason.IpDenied, $"listener '{listener.Name}' ipRules");
        }

        return next(context);
    }

    private static void DropUnderscoreNames(IHeaderDictionary headers)
    {
        List<string>? names = null;
        foreach (var (name, _) in headers)
        {
            if (name.Contains('_'))
            {
                (names ??= []).Add(name);
            }
        }

        foreach (var name in names ?? [])
        {
            headers.Remove(name);
        }
    }

    private static bool IsUpgradeRequest(IHeaderDictionary headers)
    {
        if (StringValues.IsNullOrEmpty(headers.Upgrade))
        {
            return false;
        }

        foreach (var value in headers.Connection)
        {
            foreach (var token in (value ?? "").Split(','))
            {
                if (token.Trim().Equals("upgrade", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
