using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Portico.Admin;

/// <summary>
/// With `admin.token` set, every request for data or actions (/api/…, /metrics) must carry it
/// as `Authorization: Bearer TOKEN` or, for the dashboard's event stream (a browser cannot set
/// headers on it), `?token=TOKEN`. Compared in constant time. The dashboard's own static files
/// hold no data and are served to anyone who can reach the admin listener, as are the
/// liveness and readiness probes (<see cref="Probes"/>).
/// </summary>
internal sealed class AdminTokenMiddleware(RequestDelegate next, string token)
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(token);

    public Task Invoke(HttpContext context)
    {
        if (_expected.Length == 0 || Dashboard.IsAsset(context.Request.Path) || Probes.IsProbe(context.Request.Path))
        {
            return next(context);
        }

        var header = context.Request.Headers.Authorization.ToString();
        var offered = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..] : context.Request.Query["token"].ToString();
        if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(offered), _expected))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"portico-admin\"";
        return context.Response.WriteAsync("admin token required\n");
    }
}
