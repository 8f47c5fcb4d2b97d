using System.Net;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Auth;

/// <summary>Forward auth against a small real auth service: 2xx passes with its headers, anything else is relayed, an outage is 503.</summary>
public sealed class ForwardAuthTests
{
    /// <summary>Lets "Bearer good" in as alice, sends "Bearer browser" to a login page, refuses the rest with its own 401; "Bearer slow" is never answered.</summary>
    private static Task AuthService(HttpContext context) => context.Request.Headers.Authorization.ToString() switch
    {
        "Bearer good" => Allow(context),
        "Bearer browser" => Redirect(context),
        "Bearer slow" => Task.Delay(Timeout.Infinite, context.RequestAborted),
        _ => Refuse(context),
    };

    private static Task Allow(HttpContext context)
    {
        context.Response.Headers["X-User"] = "alice";
        context.Response.Headers["X-Groups"] = "admins";
        context.Response.Headers["X-Not-Copied"] = "x";
        return Task.CompletedTask;
    }

    private static Task Redirect(HttpContext context)
    {
        context.Response.StatusCode = 302;
        context.Response.Headers.Location = "https://login.test/?rd=" + Uri.EscapeDataString(context.Request.Headers["X-Forwarded-Uri"].ToString());
        return Task.CompletedTask;
    }

    private static Task Refuse(HttpContext context)
    {
        context.Response.StatusCode = 401;
        context.Response.Headers.WWWAuthenticate = "Custom realm=\"sso\"";
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync("denied by the auth service");
    }

    private static string Config(string authUrl, string backendUrl, string extra = "") => $$"""
        routes:
          app:
            match: { pathPrefix: /app }
            cluster: app
            auth:
              forwardAuth: { url: "{{authUrl}}/check", responseHeaders: [X-User, X-Groups], userHeader: X-User, timeout: 500ms{{extra}} }
          open: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app: { destinations: [{{backendUrl}}] }
        """;

    private static async Task<HttpResponseMessage> GetAsync(TestProxy proxy, string path, string? token, Version? version = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path) { Version = version ?? HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        request.Headers.Add("X-User", "mallory");
        return await proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_2xx_answer_passes_with_its_headers_and_other_answers_go_back_to_the_client_as_given()
    {
        await using var auth = await TestBackend.StartAsync("auth", AuthService);
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync(Config(auth.Url, backend.Url));

        var allowed = await GetAsync(proxy, "/app/orders?page=2", "good");
        var refused = await GetAsync(proxy, "/app/orders", "bad");
        var redirected = await GetAsync(proxy, "/app/orders", "browser");
        var open = await GetAsync(proxy, "/elsewhere", null);

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("Custom realm=\"sso\"", refused.Headers.WwwAuthenticate.Single().ToString());
        Assert.Equal("denied by the auth service", await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.Found, redirected.StatusCode);
        Assert.Equal("https://login.test/?rd=%2Fapp%2Forders", redirected.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);

        var (app, elsewhere) = (backend.Requests.ElementAt(0), backend.Requests.ElementAt(1));
        Assert.Equal(2, backend.Count);
        Assert.Equal("alice", app.Headers["X-User"]);
        Assert.Equal("admins", app.Headers["X-Groups"]);
        Assert.Equal("alice", app.Headers["X-Auth-User"]);
        Assert.Equal("forwardAuth", app.Headers["X-Auth-Scheme"]);
        Assert.False(app.Headers.ContainsKey("X-Not-Copied"));
        Assert.False(elsewhere.Headers.ContainsKey("X-User"));
        var asked = auth.Requests.First();
        Assert.Equal("GET", asked.Headers["X-Forwarded-Method"]);
        Assert.Equal("/app/orders?page=2", asked.Headers["X-Forwarded-Uri"]);
        Assert.Equal("Bearer good", asked.Headers["Authorization"]);
        Assert.Equal("127.0.0.1", asked.Headers["X-Forwarded-For"]);
        Assert.False(asked.Headers.ContainsKey("X-User"));
    }

    [Fact]
    public async Task The_auth_service_down_or_slow_is_503_and_nothing_reaches_the_backend()
    {
        var auth = await TestBackend.StartAsync("auth", AuthService);
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync(Config(auth.Url, backend.Url));

        var slow = await GetAsync(proxy, "/app", "slow");
        await auth.DisposeAsync();
        var down = await GetAsync(proxy, "/app", "good");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, slow.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal(0, backend.Count);
        Assert.Contains(proxy.Logs.Messages(3310), m => m.Contains("no answer within 500 ms"));
        Assert.Equal(2, proxy.Logs.Messages(3310).Count());
    }

    [Theory]
    [InlineData("http1")]
    [InlineData("h2c")]
    public async Task Positive_answers_are_cached_per_credential_for_cacheFor(string protocol)
    {
        await using var auth = await TestBackend.StartAsync("auth", AuthService);
        await using var backend = await TestBackend.StartAsync("app");
        var config = Config(auth.Url, backend.Url, ", cacheFor: 1h").Replace("routes:", $"listeners:\n  main: {{ address: \"127.0.0.1:0\", protocols: [{protocol}] }}\nroutes:");
        await using var proxy = await TestProxy.StartAsync(config);
        var version = protocol == "h2c" ? HttpVersion.Version20 : HttpVersion.Version11;
        using var h2 = new HttpClient { BaseAddress = proxy.Address };

        var statuses = new List<HttpStatusCode>();
        foreach (var token in new[] { "good", "good", "good", "bad", "bad" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/app") { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            statuses.Add((await h2.SendAsync(request, TestContext.Current.CancellationToken)).StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], statuses);
        Assert.Equal(3, auth.Count);
        Assert.Equal(3, backend.Count);
        Assert.All(backend.Requests, r => Assert.Equal("alice", r.Headers["X-User"]));
    }
}
