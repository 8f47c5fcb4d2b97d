using System.Globalization;
using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Forwarding;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Pages;

/// <summary>
/// A route in maintenance answers 503 with Retry-After (RFC 9110 §15.6.4, §10.2.3) and its page,
/// before rate limiting, the WAF, auth, the cache and the backend; the clients `allowIps` lists
/// (by the address `proxy.trustedProxies` resolves) go through to the backend as usual.
/// </summary>
internal sealed class MaintenanceMiddleware(RequestDelegate next, ActiveConfig config, MaintenanceSwitches switches)
{
    private const string Detail = "This service is down for maintenance; retry later.";

    public Task Invoke(HttpContext context)
    {
        var route = MatchedRoute.Of(context, config);
        if (route?.Maintenance is not { } maintenance || !switches.IsOn(route)
            || (maintenance.AllowIps.Count > 0 && ClientAddress.IsTrusted(ClientAddress.Of(context), maintenance.AllowIps)))
        {
            return next(context);
        }

        context.Features.Get<RequestExchange>()?.Reason = LocalReason.Maintenance;
        var page = maintenance.Page ?? ErrorPage.Custom(StatusCodes.Status503ServiceUnavailable, config.Current.Settings, route);
        var retryAfter = ((long)Math.Ceiling(maintenance.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return ErrorPage.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, page, route, retryAfter, Detail);
    }
}
