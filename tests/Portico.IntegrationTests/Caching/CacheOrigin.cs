using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// A real origin on 127.0.0.1 whose answers the test scripts per request (status, fields,
/// validators, delays), counting every request that reaches it; and a proxy in front of it
/// with one route that caches (and whatever else the test adds to the route).
/// </summary>
internal sealed class CacheOrigin : IAsyncDisposable
{
    private CacheOrigin(TestBackend backend) => Backend = backend;

    public TestBackend Backend { get; }

    /// <summary>Answers every request; by default 200 "hello" fresh for 60 s.</summary>
    public Func<HttpContext, Task> Handler { get; set; } = Fresh("hello");

    /// <summary>Requests that reached the origin.</summary>
    public int Hits => Backend.Count;

    public RecordedRequest Last => Backend.Requests.Last();

    public TestProxy Proxy { get; private set; } = null!;

    public HttpClient Client => Proxy.Client;

    /// <param name="fastPath">Whether the proxy's fast path runs (hits of fresh entries are answered there); null lets PORTICO_FASTPATH decide.</param>
    public static async Task<CacheOrigin> StartAsync(string route = "cache: {}", string top = "", bool? fastPath = null)
    {
        CacheOrigin? self = null;
        var backend = await TestBackend.StartAsync("origin", ctx => self!.Handler(ctx));
        self = new CacheOrigin(backend);
        self.Proxy = await TestProxy.StartAsync(self.Config(route, top), fastPath);
        return self;
    }

    /// <summary>The proxy's config: one route to this origin with <paramref name="route"/> added to it.</summary>
    public string Config(string route, string top = "") => ConfigFor(Backend.Url, route, top);

    /// <summary>The same for another origin (a scripted <see cref="RawBackend"/>) at <paramref name="origin"/>.</summary>
    public static string ConfigFor(string origin, string route, string top = "") => $$"""
        {{top}}
        routes:
          site:
            match: { pathPrefix: / }
            cluster: origin
            {{route}}
        clusters:
          origin: { destinations: [{{origin}}] }
        """;

    /// <summary>200 with <paramref name="body"/> and the given fields (default: Cache-Control: max-age=60).</summary>
    public static Func<HttpContext, Task> Fresh(string body, params (string Name, string Value)[] fields) => ctx =>
    {
        if (fields.Length == 0)
        {
            ctx.Response.Headers.CacheControl = "max-age=60";
        }

        foreach (var (name, value) in fields)
        {
            ctx.Response.Headers.Append(name, value);
        }

        ctx.Response.ContentType = "text/plain";
        return ctx.Response.WriteAsync(body);
    };

    public async Task<HttpResponseMessage> GetAsync(string path, params (string Name, string Value)[] headers)
        => await SendAsync(HttpMethod.Get, path, headers);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        var response = await Client.SendAsync(request, TestContext.Current.CancellationToken);
        await response.Content.LoadIntoBufferAsync(TestContext.Current.CancellationToken);
        return response;
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Backend.DisposeAsync();
    }
}

internal static class CacheAssert
{
    public static string Status(HttpResponseMessage response) => response.Headers.TryGetValues("Cache-Status", out var v) ? string.Join(", ", v) : "";

    public static async Task<string> BodyAsync(HttpResponseMessage response) => await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

    public static string Header(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var v) ? string.Join(", ", v)
            : response.Content.Headers.TryGetValues(name, out var c) ? string.Join(", ", c) : "";

    public static bool IsHit(HttpResponseMessage response) => Status(response).StartsWith("Portico; hit", StringComparison.Ordinal);

    /// <summary>
    /// A hit's Age and Cache-Status ttl for a response stored without an Age field, checked against
    /// what RFC 9111 §4.2.3 allows given when the test sent its requests: current_age is
    /// max(now - date_value, now - request_time) (apparent age, or the response delay, plus the
    /// time resident), Age is it rounded down, and ttl is the freshness lifetime minus it, rounded
    /// down. The origin's Date is whole seconds and Kestrel renews it once a second, so it can be
    /// two seconds old when sent, and a loaded machine adds its own delays: the range follows from
    /// these instants rather than being a constant.
    /// </summary>
    /// <param name="date">The stored response's Date.</param>
    /// <param name="stored">Taken just before the request that stored the response was sent.</param>
    /// <param name="hitSent">Taken just before the hit's request was sent.</param>
    /// <param name="hitReceived">Taken just after the hit's response arrived.</param>
    public static void AgeAndTtl(int age, int ttl, int lifetime, DateTimeOffset date, DateTimeOffset stored, DateTimeOffset hitSent, DateTimeOffset hitReceived)
    {
        var oldest = Math.Max((hitReceived - date).TotalSeconds, (hitReceived - stored).TotalSeconds);
        var youngest = Math.Max((hitSent - date).TotalSeconds, 0);
        Assert.InRange(age, (int)Math.Floor(youngest), (int)Math.Floor(oldest));
        Assert.InRange(ttl, (int)Math.Floor(lifetime - oldest), (int)Math.Floor(lifetime - youngest));
        // Both rounded down from the same age.
        Assert.InRange(ttl + age, lifetime - 1, lifetime);
    }
}
