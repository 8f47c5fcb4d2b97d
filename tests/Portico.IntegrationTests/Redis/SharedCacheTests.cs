using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portico.IntegrationTests.Infrastructure;
using Portico.Redis;

namespace Portico.IntegrationTests.Redis;

/// <summary>
/// The cache's shared tier in a real Redis, with two instances: a response one stored is a hit on
/// the other with the same Age (RFC 9111 §4.2.3), is revalidated across instances, keeps its Vary
/// variants apart; a body above the threshold stays local; purges (URL, prefix, tag, soft) reach
/// both and are confirmed per instance; a Redis killed under load fails no request.
/// </summary>
public sealed class SharedCacheTests
{
    private const string Host = "shop.test";

    [Fact]
    public async Task A_response_one_instance_stored_is_a_hit_on_the_other_with_the_age_it_has_there()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var backend = await Origin();
        await using var proxies = await SharedProxies.StartAsync(redis, Config(backend));

        var first = await GetAsync(proxies.A, "/page");
        Assert.StartsWith("Portico; fwd=uri-miss", Header(first, "Cache-Status"));
        await StoredAsync(redis, "/page");

        // Time stored on A counts on B: the entry carries A's request and response times.
        await Task.Delay(TimeSpan.FromSeconds(2.2), TestContext.Current.CancellationToken);
        var onB = await GetAsync(proxies.B, "/page");
        var onA = await GetAsync(proxies.A, "/page");
        Assert.Equal("page", await onB.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.StartsWith("Portico; hit", Header(onB, "Cache-Status"));
        Assert.Equal(1, backend.Requests.Count(r => r.PathAndQuery == "/page"));
        var ageB = int.Parse(Header(onB, "Age"), System.Globalization.CultureInfo.InvariantCulture);
        var ageA = int.Parse(Header(onA, "Age"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(ageB, 102, 110);
        Assert.InRange(ageA - ageB, 0, 1);
        Assert.Equal(Header(onA, "Date"), Header(onB, "Date"));

        // Promoted into B's memory tier: Redis is not asked again.
        Assert.Equal(1, await CounterAsync(proxies.B, "portico_cache_shared_lookups_total", ("outcome", "hit")));
        Assert.StartsWith("Portico; hit", Header(await GetAsync(proxies.B, "/page"), "Cache-Status"));
        Assert.Equal(1, await CounterAsync(proxies.B, "portico_cache_shared_lookups_total", ("outcome", "hit")));
    }

    [Fact]
    public async Task A_stale_response_one_instance_stored_is_revalidated_by_the_other()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var backend = await Origin();
        await using var proxies = await SharedProxies.StartAsync(redis, Config(backend));

        await GetAsync(proxies.A, "/etag");
        await StoredAsync(redis, "/etag");
        await Task.Delay(TimeSpan.FromSeconds(1.2), TestContext.Current.CancellationToken);

        var onB = await GetAsync(proxies.B, "/etag");
        Assert.Equal(HttpStatusCode.OK, onB.StatusCode);
        Assert.Equal("etag", await onB.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.StartsWith("Portico; fwd=stale; fwd-status=304; stored", Header(onB, "Cache-Status"));
        var revalidation = backend.Requests.Where(r => r.PathAndQuery == "/etag").ToArray();
        Assert.Equal(2, revalidation.Length);
        Assert.Equal("\"v1\"", revalidation[1].Headers["If-None-Match"]);
    }

    [Fact]
    public async Task Vary_variants_stay_apart_across_instances()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var backend = await Origin();
        await using var proxies = await SharedProxies.StartAsync(redis, Config(backend));

        Assert.Equal("lang:en", await BodyAsync(proxies.A, "/lang", "en"));
        await StoredAsync(redis, "/lang");
        // B has the URL in Redis but not in this language: a miss it stores (beside en).
        Assert.Equal("lang:de", await BodyAsync(proxies.B, "/lang", "de"));
        Assert.Equal("lang:fr", await BodyAsync(proxies.A, "/lang", "fr"));
        await Poll.UntilAsync(async () => await redis.CommandAsync("HLEN", "portico:cache:http://shop.test/lang") == ":3", "three variants in Redis");

        // B holds en and de itself; fr only Redis has.
        var fr = await GetAsync(proxies.B, "/lang", "fr");
        Assert.StartsWith("Portico; hit", Header(fr, "Cache-Status"));
        Assert.Equal("lang:fr", await fr.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("lang:de", await BodyAsync(proxies.A, "/lang", "de"));
        Assert.Equal("lang:en", await BodyAsync(proxies.B, "/lang", "en"));
        Assert.Equal(3, backend.Requests.Count(r => r.PathAndQuery == "/lang"));
    }

    [Fact]
    public async Task A_body_above_the_threshold_stays_local()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var backend = await Origin();
        await using var proxies = await SharedProxies.StartAsync(redis, Config(backend, "cache:\n  shared: { maxObjectSize: 2KiB }\n"));

        await GetAsync(proxies.A, "/big");
        await GetAsync(proxies.A, "/page");
        await StoredAsync(redis, "/page", proxies.A);
        await Poll.UntilAsync(async () => await CounterAsync(proxies.A, "portico_cache_shared_stores_total", ("outcome", "local")) == 1, "the large body kept local");
        Assert.Equal(":0", await redis.CommandAsync("EXISTS", "portico:cache:http://shop.test/big"));

        Assert.StartsWith("Portico; hit", Header(await GetAsync(proxies.A, "/big"), "Cache-Status"));
        Assert.StartsWith("Portico; fwd=uri-miss", Header(await GetAsync(proxies.B, "/big"), "Cache-Status"));
        Assert.Equal(2, backend.Requests.Count(r => r.PathAndQuery == "/big"));
    }

    [Fact]
    public async Task Url_prefix_tag_and_soft_purges_reach_both_instances_and_each_confirms()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var backend = await Origin();
        await using var proxies = await SharedProxies.StartAsync(redis, Config(backend));
        await InstancesAsync(proxies);
        string[] paths = ["/q", "/p/1", "/p/2", "/t/1", "/t/2"];
        foreach (var path in paths)
        {
            await StoredByAHitOnBAsync(proxies, redis, path);
        }

        // URL, from A: gone from Redis and from B's memory (B goes to the origin again).
        var url = await PurgeAsync(proxies.A, "url=" + Uri.EscapeDataString("http://shop.test/q"));
        Confirmed(proxies, url, purgedOnB: 1);
        Assert.Equal(":0", await redis.CommandAsync("EXISTS", "portico:cache:http://shop.test/q"));
        Assert.StartsWith("Portico; fwd=uri-miss", Header(await GetAsync(proxies.B, "/q"), "Cache-Status"));

        // Prefix, from B: A's memory too.
        var prefix = await PurgeAsync(proxies.B, "prefix=" + Uri.EscapeDataString("http://shop.test/p/"));
        Confirmed(proxies, prefix, purgedOnB: 2, self: proxies.B);
        Assert.Equal(2, prefix.GetProperty("purged").GetInt32());
        Assert.Equal(":0", await redis.CommandAsync("EXISTS", "portico:cache:http://shop.test/p/1"));
        Assert.StartsWith("Portico; fwd=uri-miss", Header(await GetAsync(proxies.A, "/p/2"), "Cache-Status"));

        // Soft, by tag, from A: B revalidates its own copy (If-None-Match), it is not fetched whole.
        var soft = await PurgeAsync(proxies.A, "tag=t1&soft=true");
        Confirmed(proxies, soft, purgedOnB: 1);
        Assert.StartsWith("Portico; fwd=stale; fwd-status=304; stored", Header(await GetAsync(proxies.B, "/t/1"), "Cache-Status"));
        Assert.Equal("\"t1\"", backend.Requests.Last(r => r.PathAndQuery == "/t/1").Headers["If-None-Match"]);

        // Hard, by tag, from A.
        var hard = await PurgeAsync(proxies.A, "tag=t2");
        Confirmed(proxies, hard, purgedOnB: 1);
        Assert.Equal(":0", await redis.CommandAsync("EXISTS", "portico:cache-tag:t2"));
        Assert.StartsWith("Portico; fwd=uri-miss", Header(await GetAsync(proxies.B, "/t/2"), "Cache-Status"));
        Assert.Equal(4, proxies.B.Logs.Messages(8301).Count() + proxies.A.Logs.Messages(8301).Count());

        // Every purge command went through (the soft purge's mark of Redis's copy too).
        foreach (var proxy in proxies.Both)
        {
            Assert.Equal(0, await CounterAsync(proxy, "portico_redis_errors_total", ("kind", "server")));
        }
    }

    [Fact]
    public async Task An_unsafe_request_on_one_instance_invalidates_the_url_on_both()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var backend = await Origin();
        await using var proxies = await SharedProxies.StartAsync(redis, Config(backend));
        await InstancesAsync(proxies);
        await StoredByAHitOnBAsync(proxies, redis, "/w");

        // RFC 9111 §4.4 on A: gone from A and Redis at once, and from B's memory once B hears of it.
        using var post = new HttpRequestMessage(HttpMethod.Post, "/w") { Content = new StringContent("changed") };
        post.Headers.Host = Host;
        Assert.Equal(HttpStatusCode.OK, (await proxies.A.Client.SendAsync(post, TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(":0", await redis.CommandAsync("EXISTS", "portico:cache:http://shop.test/w"));
        await Poll.UntilAsync(() => proxies.B.Logs.Messages(8301).Any(), "B to hear of the invalidation");
        Assert.StartsWith("Portico; fwd=uri-miss", Header(await GetAsync(proxies.B, "/w"), "Cache-Status"));
        Assert.Equal(2, backend.Requests.Count(r => r.Method == "GET" && r.PathAndQuery == "/w"));
    }

    [Fact]
    public async Task Redis_killed_and_restarted_under_load_fails_no_request_and_sharing_resumes()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var backend = await Origin();
        await using var proxies = await SharedProxies.StartAsync(redis, Config(backend));

        var sent = 0;
        var faults = redis.OutageAsync(() => Volatile.Read(ref sent), killAt: 300, restartAt: 900);
        var result = await Load.RunAsync(2000, 4, TimeSpan.FromSeconds(90), async i =>
        {
            // A third are hits of a few URLs (local once stored), the rest new URLs: each a lookup and a store in Redis.
            using var response = await GetAsync(i % 2 == 0 ? proxies.A : proxies.B, i % 3 == 0 ? $"/n/{i % 40}" : $"/u/{i}");
            Interlocked.Increment(ref sent);
            return response.StatusCode == HttpStatusCode.OK ? true : throw new HttpRequestException($"{(int)response.StatusCode} {response.Headers}");
        });
        await faults;

        Assert.True(result.Failed == 0, $"{result.Failed} failed: {string.Join("; ", result.SampleFailures)}\n"
            + string.Join("\n", proxies.Both.SelectMany(p => p.Logs.Lines).Where(l => l.Level >= LogLevel.Error).Select(l => $"{l.Category} {l.EventId} {l.Message} {l.Exception}")));
        Assert.Equal(2000, result.Ok);
        Assert.True(await CounterAsync(proxies.A, "portico_cache_shared_lookups_total", ("outcome", "error"))
            + await CounterAsync(proxies.B, "portico_cache_shared_lookups_total", ("outcome", "error"))
            + await CounterAsync(proxies.A, "portico_cache_shared_stores_total", ("outcome", "error"))
            + await CounterAsync(proxies.B, "portico_cache_shared_stores_total", ("outcome", "error")) > 0);

        // Shared again: what A stores now is a hit on B.
        await Poll.UntilAsync(() => proxies.Both.All(p => p.Services.GetRequiredService<RedisConnection>().Available), "Redis available again");
        await Poll.UntilAsync(async () =>
        {
            await GetAsync(proxies.A, "/after");
            return await redis.CommandAsync("EXISTS", "portico:cache:http://shop.test/after") == ":1";
        }, "A to store in the restarted Redis");
        Assert.StartsWith("Portico; hit", Header(await GetAsync(proxies.B, "/after"), "Cache-Status"));
        Assert.Equal(1, backend.Requests.Count(r => r.PathAndQuery == "/after"));
    }

    private static void Confirmed(SharedProxies proxies, JsonElement answer, int purgedOnB, TestProxy? self = null)
    {
        self ??= proxies.A;
        var other = self == proxies.A ? proxies.B : proxies.A;
        var instances = answer.GetProperty("instances").EnumerateArray().ToArray();
        Assert.Equal(2, instances.Length);
        Assert.Equal(self.Services.GetRequiredService<RedisConnection>().InstanceId, instances[0].GetProperty("id").GetString());
        Assert.True(instances[0].GetProperty("self").GetBoolean());
        Assert.Equal(other.Services.GetRequiredService<RedisConnection>().InstanceId, instances[1].GetProperty("id").GetString());
        Assert.True(instances[1].GetProperty("confirmed").GetBoolean(), answer.ToString());
        Assert.Equal(purgedOnB, instances[1].GetProperty("purged").GetInt32());
    }

    private static async Task<JsonElement> PurgeAsync(TestProxy proxy, string query)
    {
        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        var response = await admin.PostAsync("/api/cache/purge?" + query, null, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task A_part_never_replaces_a_complete_response_redis_holds()
    {
        // RFC 9111 §3.4, as the memory and disk tiers' twin: a part was prepared when no complete
        // response was known, but one was stored in Redis since (by this instance's background
        // write or another's); Redis keeps the complete one.
        await using var instance = await OneInstance.StartAsync();
        var shared = instance.Shared;
        var now = DateTimeOffset.UtcNow;
        Portico.Caching.CacheEntry Entry(string key, int bytes) => Stored(key, bytes, now);
        Portico.Caching.CacheEntry Part(string key) => Entry(key, 5) with { Status = 206, Ranges = new Portico.Caching.HeldRanges(26, [(0, 4)]) };

        await shared.SetAsync(Entry("http://h/a", 26));
        await shared.SetAsync(Part("http://h/a"));
        var stored = Assert.Single(await shared.GetAsync("http://h/a", _ => Portico.Caching.CacheDirectives.None));
        Assert.Equal(200, stored.Status);
        Assert.Null(stored.Ranges);
        Assert.Equal(26, stored.Body.Length);

        // A complete response still replaces a part, and a part another part.
        await shared.SetAsync(Part("http://h/b"));
        await shared.SetAsync(Part("http://h/b") with { Body = new byte[6], Ranges = new Portico.Caching.HeldRanges(26, [(0, 5)]) });
        Assert.Equal(6, Assert.Single(await shared.GetAsync("http://h/b", _ => Portico.Caching.CacheDirectives.None)).Body.Length);
        await shared.SetAsync(Entry("http://h/b", 26));
        Assert.Null(Assert.Single(await shared.GetAsync("http://h/b", _ => Portico.Caching.CacheDirectives.None)).Ranges);
    }

    [Fact]
    public async Task A_response_never_replaces_one_redis_holds_that_arrived_after_it()
    {
        // The tier's writes run in the background and land in either order: a miss's write may
        // follow that of the stale-while-revalidate refresh after it, which would put the stale
        // response back for every instance. Redis keeps the later one.
        await using var instance = await OneInstance.StartAsync();
        var shared = instance.Shared;
        var now = DateTimeOffset.UtcNow;
        async Task<int> HeldAsync() => Assert.Single(await shared.GetAsync("http://h/a", _ => Portico.Caching.CacheDirectives.None)).Body.Length;

        await shared.SetAsync(Stored("http://h/a", 20, now));
        await shared.SetAsync(Stored("http://h/a", 10, now.AddSeconds(-1)));
        Assert.Equal(20, await HeldAsync());

        // A later response, or one of the same instant, still replaces it.
        await shared.SetAsync(Stored("http://h/a", 30, now.AddSeconds(1)));
        Assert.Equal(30, await HeldAsync());
        await shared.SetAsync(Stored("http://h/a", 40, now.AddSeconds(1)));
        Assert.Equal(40, await HeldAsync());
    }

    /// <summary>One instance with the shared tier, connected, for the tests of what Redis keeps whatever order stores land in.</summary>
    private sealed class OneInstance(RedisServer redis, TestBackend backend, TestProxy proxy) : IAsyncDisposable
    {
        public Portico.Caching.SharedCacheTier Shared => proxy.Services.GetRequiredService<Portico.Caching.SharedCacheTier>();

        public static async Task<OneInstance> StartAsync()
        {
            var redis = await RedisServer.StartAsync();
            var backend = await Origin();
            var proxy = await TestProxy.StartAsync(Config(backend) + "\n" + SharedProxies.Section(redis));
            await Poll.UntilAsync(() => proxy.Services.GetRequiredService<RedisConnection>().Available, "Redis connected");
            return new OneInstance(redis, backend, proxy);
        }

        public async ValueTask DisposeAsync()
        {
            await proxy.DisposeAsync();
            await backend.DisposeAsync();
            await redis.DisposeAsync();
        }
    }

    private static Portico.Caching.CacheEntry Stored(string key, int bytes, DateTimeOffset at) => new()
    {
        Key = key,
        Vary = [],
        Status = 200,
        Headers = [new("Cache-Control", "max-age=600")],
        Body = new byte[bytes],
        RequestTime = at,
        ResponseTime = at,
        Date = at,
        Directives = Portico.Caching.CacheDirectives.Parse("max-age=600"),
    };

    private static Task InstancesAsync(SharedProxies proxies)
        => Poll.UntilAsync(() => proxies.Both.All(p => p.Services.GetRequiredService<RedisConnection>() is { Available: true, Instances: 2 }), "2 instances counted");

    // Fetched through A, in Redis, then a hit on B (so in B's memory too).
    private static async Task StoredByAHitOnBAsync(SharedProxies proxies, RedisServer redis, string path)
    {
        await GetAsync(proxies.A, path);
        await StoredAsync(redis, path);
        Assert.StartsWith("Portico; hit", Header(await GetAsync(proxies.B, path), "Cache-Status"));
    }

    private static Task StoredAsync(RedisServer redis, string path)
        => Poll.UntilAsync(async () => await redis.CommandAsync("EXISTS", "portico:cache:http://" + Host + path) == ":1", $"{path} in Redis");

    /// <summary><see cref="StoredAsync(RedisServer, string)"/>, saying on failure what <paramref name="proxy"/> made of its stores.</summary>
    private static async Task StoredAsync(RedisServer redis, string path, TestProxy proxy)
    {
        try
        {
            await StoredAsync(redis, path);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var stores = new List<string>();
            foreach (var outcome in new[] { "stored", "local", "error" })
            {
                stores.Add($"{outcome}={await CounterAsync(proxy, "portico_cache_shared_stores_total", ("outcome", outcome))}");
            }

            throw new InvalidOperationException($"{e.Message}; Redis available: {proxy.Services.GetRequiredService<RedisConnection>().Available}; shared stores {string.Join(", ", stores)}; "
                + string.Join("\n", proxy.Logs.Lines.Where(l => l.Level >= LogLevel.Warning).Select(l => $"{l.EventId} {l.Message} {l.Exception}")), e);
        }
    }

    private static async Task<HttpResponseMessage> GetAsync(TestProxy proxy, string path, string? language = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = Host;
        if (language is not null)
        {
            request.Headers.Add("Accept-Language", language);
        }

        var response = await proxy.Client.SendAsync(request, TestContext.Current.CancellationToken);
        await response.Content.LoadIntoBufferAsync(TestContext.Current.CancellationToken);
        return response;
    }

    private static async Task<string> BodyAsync(TestProxy proxy, string path, string language)
        => await (await GetAsync(proxy, path, language)).Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

    private static string Header(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values)
            : response.Content.Headers.TryGetValues(name, out var content) ? string.Join(", ", content) : "";

    private static async Task<double> CounterAsync(TestProxy proxy, string name, params (string Key, string Value)[] labels)
    {
        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        return new PrometheusText(await admin.GetStringAsync("/metrics")).Value(name, labels) ?? 0;
    }

    private static string Config(TestBackend backend, string extra = "") => $$"""
        routes:
          shop: { match: { pathPrefix: / }, cluster: app, cache: {} }
        clusters:
          app: { destinations: [{{backend.Url}}] }
        {{extra}}
        """;

    // /page fresh for 10 minutes (Age 100 from upstream), /etag fresh for 1 s with a validator,
    // /lang varying on Accept-Language, /big 4 KiB, /t/N tagged tN with validators, anything else fresh.
    private static Task<TestBackend> Origin() => TestBackend.StartAsync("app", async context =>
    {
        var path = context.Request.Path.Value!;
        var headers = context.Response.Headers;
        headers.CacheControl = "max-age=600";
        switch (path)
        {
            case "/page":
                headers.Age = "100";
                await context.Response.WriteAsync("page");
                return;
            case "/etag":
                headers.CacheControl = "max-age=1";
                headers.ETag = "\"v1\"";
                if (context.Request.Headers.IfNoneMatch == "\"v1\"")
                {
                    context.Response.StatusCode = StatusCodes.Status304NotModified;
                    return;
                }

                await context.Response.WriteAsync("etag");
                return;
            case "/lang":
                headers.Vary = "Accept-Language";
                await context.Response.WriteAsync("lang:" + context.Request.Headers.AcceptLanguage);
                return;
            case "/big":
                await context.Response.WriteAsync(new string('b', 4096));
                return;
        }

        if (path.StartsWith("/t/", StringComparison.Ordinal))
        {
            var tag = "t" + path[3..];
            headers["Cache-Tag"] = tag;
            headers.ETag = $"\"{tag}\"";
            if (context.Request.Headers.IfNoneMatch == headers.ETag)
            {
                context.Response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }
        }

        await context.Response.WriteAsync(path);
    });
}
