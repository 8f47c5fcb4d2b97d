using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Routing;

/// <summary>
/// A backend that answers with the request target exactly as it arrived (no decoding) and the
/// Host, one per line; asked with X-Answer-Redirect, it also answers with a `Location`,
/// `Content-Location` and two `Set-Cookie` in its own terms (its Host and path).
/// </summary>
internal static class TargetEchoBackend
{
    public static Task<TestBackend> StartAsync() => TestBackend.StartAsync("echo", ctx =>
    {
        var target = ctx.Features.Get<IHttpRequestFeature>()!.RawTarget;
        if (ctx.Request.Headers.ContainsKey("X-Answer-Redirect"))
        {
            ctx.Response.Headers.Location = $"http://{ctx.Request.Host}{ctx.Request.Path}/done";
            ctx.Response.Headers.ContentLocation = ctx.Request.Path.ToString();
            ctx.Response.Headers.SetCookie = new[] { $"sid=1; Path={ctx.Request.Path}; HttpOnly", $"pref=a; Domain={ctx.Request.Host.Host}; Path=/" };
        }

        var body = System.Text.Encoding.UTF8.GetBytes(target + "\n" + ctx.Request.Host);
        ctx.Response.ContentLength = body.Length;
        return ctx.Response.Body.WriteAsync(body).AsTask();
    });
}
