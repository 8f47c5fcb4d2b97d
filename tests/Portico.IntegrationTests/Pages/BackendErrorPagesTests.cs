using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Pages;

/// <summary>
/// A route's `interceptErrors`: the backend's answer with a listed status reaches the client as
/// Portico's page for it, with the backend's status and Retry-After and nothing else of its
/// answer; other statuses pass untouched. On both paths (the route hands its forwards over).
/// </summary>
public sealed class BackendErrorPagesTests : IAsyncLifetime
{
    private TestBackend _backend = null!;

    public async ValueTask InitializeAsync()
        => _backend = await TestBackend.StartAsync("app", async ctx =>
        {
            switch (ctx.Request.Path.Value)
            {
                case "/503":
                    ctx.Response.StatusCode = 503;
                    ctx.Response.Headers.RetryAfter = "7";
                    ctx.Response.Headers["X-Internal-Host"] = "db-7.internal";
                    ctx.Response.Headers.SetCookie = "trace=1";
                    // A large body, streamed: dropped as it comes, never held whole.
                    var chunk = new byte[64 * 1024];
                    Array.Fill(chunk, (byte)'x');
                    for (var i = 0; i < 16; i++)
                    {
                        await ctx.Response.Body.WriteAsync(chunk, ctx.RequestAborted);
                    }

                    break;
                case "/500":
                    ctx.Response.StatusCode = 500;
                    await ctx.Response.WriteAsync("NullReferenceException at Shop.Checkout()");
                    break;
                case "/404":
                    ctx.Response.StatusCode = 404;
                    await ctx.Response.WriteAsync("the backend's own 404");
                    break;
                default:
                    await ctx.Response.WriteAsync("ok");
                    break;
            }
        });

    public async ValueTask DisposeAsync() => await _backend.DisposeAsync();

    private Task<TestProxy> StartAsync(bool fastPath) => TestProxy.StartAsync($$"""
        routes:
          shop:
            match: { pathPrefix: / }
            cluster: app
            interceptErrors: [500, 503]
            errorPages:
              503: { body: "busy: {status} {reason} ({request_id})", template: true, contentType: text/plain }
        clusters:
          app: { destinations: [{{_backend.Url}}] }
        """, fastPath);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_listed_backend_error_is_replaced_by_the_page_keeping_its_status_and_Retry_After(bool fastPath)
    {
        await using var proxy = await StartAsync(fastPath);

        var busy = await PageExchange.SendAsync(proxy, "/503");

        Assert.Equal((503, "busy: 503 Service Unavailable (rid-1)", "text/plain"), (busy.Status, busy.Body, busy.Field("Content-Type")));
        Assert.Equal("7", busy.Field("Retry-After"));
        Assert.Null(busy.Field("X-Internal-Host"));
        Assert.Null(busy.Field("Set-Cookie"));
        Assert.Equal("no-store", busy.Field("Cache-Control"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_listed_status_without_a_custom_page_gets_the_built_in_one_and_others_pass(bool fastPath)
    {
        await using var proxy = await StartAsync(fastPath);

        var failed = await PageExchange.SendAsync(proxy, "/500");
        Assert.Equal(500, failed.Status);
        Assert.Contains("<h1>500 Internal Server Error</h1>", failed.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("NullReference", failed.Body, StringComparison.Ordinal);

        var notFound = await PageExchange.SendAsync(proxy, "/404");
        Assert.Equal((404, "the backend's own 404"), (notFound.Status, notFound.Body));
        Assert.Equal((200, "ok"), ((await PageExchange.SendAsync(proxy, "/ok")) is var ok ? ok.Status : 0, ok.Body));
    }

    [Fact]
    public async Task A_HEAD_for_a_replaced_error_gets_no_body()
    {
        await using var proxy = await StartAsync(fastPath: false);

        var head = await PageExchange.SendAsync(proxy, "/503", method: "HEAD");

        Assert.Equal((503, ""), (head.Status, head.Body));
        Assert.Equal("37", head.Field("Content-Length"));
    }
}
