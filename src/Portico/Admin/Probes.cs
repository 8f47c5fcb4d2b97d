using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Portico.Admin;

/// <summary>
/// `GET /livez` and `GET /readyz` for load balancers, init systems and orchestrators. They hold
/// no data beyond one word, so they answer without `admin.token`: the probes of an L4 balancer
/// or keepalived's check script carry no credentials (as nginx's stub_status is allowed by
/// address rather than by login); who can reach the admin listener at all is the address it binds.
/// </summary>
internal static class Probes
{
    public const string Live = "/livez";
    public const string Ready = "/readyz";

    public static bool IsProbe(PathString path) => path == Live || path == Ready;

    public static void Map(WebApplication app, Readiness readiness)
    {
        app.MapMethods(Live, [HttpMethods.Get, HttpMethods.Head], () => Results.Text("live\n"));

        // 503 rather than a closed socket while draining: a balancer's HTTP check marks the
        // instance down at once instead of after its connect timeouts.
        app.MapMethods(Ready, [HttpMethods.Get, HttpMethods.Head], () => readiness.IsReady
            ? Results.Text("ready\n")
            : Results.Text(readiness.State + "\n", statusCode: StatusCodes.Status503ServiceUnavailable));
    }
}
