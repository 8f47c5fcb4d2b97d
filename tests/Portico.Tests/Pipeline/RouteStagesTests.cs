using System.Reflection;
using Portico.Configuration.Model;
using Portico.FastPath;
using Portico.Headers;
using Portico.Observability;
using Portico.Pipeline;
using Portico.Security;

namespace Portico.Tests.Pipeline;

/// <summary>
/// The per-route stages' declarations (Pipeline/RouteStages): every route setting is classified
/// by some stage, so a new setting cannot be silently skipped by the fast path; and a route takes
/// the fast path only when every stage that applies to it says so.
/// </summary>
public sealed class RouteStagesTests
{
    [Fact]
    public void Every_property_of_the_route_settings_the_fast_path_reads_is_claimed_by_a_stage()
    {
        var unclaimed = RouteStages.Unclaimed(RouteStages.All);

        // A new property of RouteSettings (or RouteMatchSettings, RouteCacheSettings,
        // ClusterSettings) needs a stage to claim it in its IRouteStage declaration, and to say
        // per route whether the fast path honours it.
        Assert.True(unclaimed.Count == 0, "not claimed by any stage in RouteStages.All: " + string.Join(", ", unclaimed));
    }

    [Fact]
    public void The_check_names_what_a_missing_declaration_leaves_unclaimed()
    {
        var unclaimed = RouteStages.Unclaimed(RouteStages.All.Where(s => s is not RouteGuardStage));

        Assert.Equal(["RouteSettings.Limits", "RouteSettings.IpRules"], unclaimed.Select(s => s.ToString()).Order().Reverse());
    }

    [Fact]
    public void Every_claimed_setting_is_a_property_of_its_record()
    {
        foreach (var setting in RouteStages.All.SelectMany(s => s.Settings))
        {
            Assert.True(RouteStages.Classified.Contains(setting.Record), $"{setting}: {setting.Record.Name} is not in RouteStages.Classified");
            Assert.NotNull(setting.Record.GetProperty(setting.Property, BindingFlags.Public | BindingFlags.Instance));
        }
    }

    [Fact]
    public void Each_setting_is_claimed_once()
    {
        var claims = RouteStages.All.SelectMany(s => s.Settings).GroupBy(s => s).Where(g => g.Count() > 1).Select(g => g.Key.ToString());

        Assert.Empty(claims);
    }

    private static readonly ClusterSettings Plain = new() { Id = "app", Destinations = [new DestinationSettings { Name = "a", Address = new Uri("http://127.0.0.1:8080") }] };

    private static RouteSettings Route(Func<RouteSettings, RouteSettings>? change = null)
    {
        var route = new RouteSettings { Id = "r", Match = new RouteMatchSettings { PathPrefix = "/" }, Cluster = "app" };
        return change is null ? route : change(route);
    }

    private static PorticoSettings Settings(RouteSettings route, ClusterSettings? cluster = null)
        => new() { Listeners = [], Proxy = new ProxySettings(), Routes = [route], Clusters = [cluster ?? Plain] };

    private static (HandOverReason? Reason, bool HitsOnly) Fit(RouteSettings route, ClusterSettings? cluster = null)
        => (RouteStages.Fit(route, Settings(route, cluster), out var hitsOnly), hitsOnly);

    [Fact]
    public void A_plain_route_takes_the_fast_path_and_a_timeout_is_honoured_there()
    {
        Assert.Equal((null, false), Fit(Route()));
        Assert.Equal((null, false), Fit(Route(r => r with { Timeout = TimeSpan.FromSeconds(5), RetryNonIdempotent = true })));
        Assert.Equal((null, false), Fit(Route(), Plain with { Retries = 2 }));
        Assert.Equal((null, false), Fit(Route(), Plain with { Destinations = [new DestinationSettings { Name = "a", Address = new Uri("http://backend.local:8080") }] }));
    }

    [Fact]
    public void A_stage_the_fast_path_does_not_honour_keeps_the_route_on_the_full_pipeline_with_its_reason()
    {
        Assert.Equal((HandOverReason.Waf, false), Fit(Route(r => r with { Waf = new RouteWafSettings { Mode = WafMode.Detect } })));
        Assert.Equal((HandOverReason.RouteGuard, false), Fit(Route(r => r with { Limits = new RouteLimitsSettings() })));
        Assert.Equal((HandOverReason.BodyRewrite, false), Fit(Route(r => r with { BodyRewrite = new BodyRewriteSettings { Rules = [new BodyRewriteRule { Find = "a", Replace = "b" }] } })));
        Assert.Equal((HandOverReason.HostRewrite, false), Fit(Route(r => r with { PreserveHost = false })));
        Assert.Equal((HandOverReason.Match, false), Fit(Route(r => r with { Match = new RouteMatchSettings { Path = "/u/{id}" } })));
        Assert.Equal((HandOverReason.Destination, false), Fit(Route(), Plain with { Destinations = [new DestinationSettings { Name = "a", Address = new Uri("http://backend.local:8080/base/") }] }));
    }

    [Fact]
    public void A_cached_route_takes_its_misses_too_where_the_fast_path_honours_their_forwarding()
    {
        var cached = Route(r => r with { Cache = new RouteCacheSettings() });
        Assert.Equal((null, false), Fit(cached));
        Assert.Equal((null, false), Fit(cached, Plain with { Retries = 2 }));

        // The Host sent and body rewriting act only on forwarded requests: the misses stay on the
        // full pipeline and the fast path answers the fresh hits, with compression beside them too.
        Assert.Equal((null, true), Fit(cached with { Compression = new CompressionSettings(), PreserveHost = false }, Plain with { Retries = 2 }));
        Assert.Equal((null, true), Fit(cached with { BodyRewrite = new BodyRewriteSettings { Rules = [new BodyRewriteRule { Find = "a", Replace = "b" }] } }));

        // Compression alone, honoured on the fast path for HTTP/1.1, takes the misses too: the fast
        // path's store of a miss records the encoded variant the cache stores.
        Assert.Equal((null, false), Fit(cached with { Compression = new CompressionSettings() }));
        Assert.Equal((null, false), Fit(cached with { Compression = new CompressionSettings(), RateLimit = new RateLimitSettings { Name = "r", Limit = 1 } }));

        // Unless a header rule names a field compression writes: then it is not honoured when forwarding.
        var rule = new HeaderRulesSettings { Response = [new HeaderRule(HeaderAction.Remove, "Vary", null)] };
        Assert.Equal((null, true), Fit(cached with { Compression = new CompressionSettings(), Headers = rule }));

        // A rate limit counts a miss on the fast path as on the full pipeline.
        Assert.Equal((null, false), Fit(cached with { RateLimit = new RateLimitSettings { Name = "r", Limit = 1 } }));

        // A route timeout spans a follower's wait on the full path.
        var timed = cached with { Timeout = TimeSpan.FromSeconds(5) };
        Assert.Equal((null, true), Fit(timed));
        Assert.Equal((null, false), Fit(timed with { Cache = new RouteCacheSettings { Collapse = false } }));

        // A disk tier: the full path streams a miss's body into its file.
        var disk = Settings(cached) with { Cache = new CacheSettings { Disk = new DiskCacheSettings { Directory = "/tmp/portico-cache" } } };
        Assert.Null(RouteStages.Fit(cached, disk, out var hitsOnly));
        Assert.True(hitsOnly);

        // What acts on every request still keeps it off.
        Assert.Equal(HandOverReason.Waf, Fit(cached with { Waf = new RouteWafSettings { Mode = WafMode.Block } }).Reason);
    }

    [Fact]
    public void Compression_takes_the_fast_path_on_http1_unless_a_header_rule_names_a_field_it_reads_or_writes()
    {
        static HeaderRulesSettings Request(string name) => new() { Request = [new HeaderRule(HeaderAction.Set, name, new ValueTemplate([new TemplatePart(TemplateVariable.Literal, "x")]))] };
        static HeaderRulesSettings Response(string name) => new() { Response = [new HeaderRule(HeaderAction.Remove, name, null)] };
        static (HandOverReason? Reason, HandOverReason? Http2) Verdict(RouteSettings route, HeaderRulesSettings? topLevel = null)
            => (RouteStages.Fit(route, Settings(route) with { Headers = topLevel }, out _, out var http2), http2);

        var compressed = Route(r => r with { Compression = new CompressionSettings() });
        Assert.Equal((null, HandOverReason.Compression), Verdict(compressed));
        Assert.Equal("yes", FastRoutes.Explain(compressed, Settings(compressed)));
        Assert.Equal((null, HandOverReason.Compression), Verdict(compressed with { Headers = Request("X-Feature") }, Response("X-Backend-Version")));

        // The fast path does not repeat the order the full pipeline runs the two in.
        Assert.Equal((HandOverReason.Compression, null), Verdict(compressed with { Headers = Request("accept-encoding") }));
        foreach (var field in new[] { "Content-Encoding", "Vary", "ETag", "Accept-Ranges" })
        {
            Assert.Equal((HandOverReason.Compression, null), Verdict(compressed, Response(field)));
        }

        // A cached route's fresh hits are the cache's, over HTTP/2 too; a plain route has no HTTP/2 reason.
        Assert.Equal((null, null), Verdict(compressed with { Cache = new RouteCacheSettings() }));
        Assert.Equal((null, null), Verdict(Route()));
    }

    [Fact]
    public void The_admin_api_names_each_routes_fast_path_verdict()
    {
        var cached = Route(r => r with { Cache = new RouteCacheSettings() });
        Assert.Equal("yes", FastRoutes.Explain(Route(), Settings(Route())));
        Assert.Equal("yes", FastRoutes.Explain(cached, Settings(cached)));
        var compressed = cached with { Compression = new CompressionSettings() };
        Assert.Equal("yes", FastRoutes.Explain(compressed, Settings(compressed)));
        var rewritten = cached with { BodyRewrite = new BodyRewriteSettings { Rules = [new BodyRewriteRule { Find = "a", Replace = "b" }] } };
        Assert.Equal("fresh_cache_hits", FastRoutes.Explain(rewritten, Settings(rewritten)));
        Assert.Equal("yes", FastRoutes.Explain(Route(r => r with { RateLimit = new RateLimitSettings { Name = "r", Limit = 1 } }), Settings(Route())));
        Assert.Equal("tracing", FastRoutes.Explain(Route(), Settings(Route()) with { Tracing = new TracingSettings { OtlpEndpoint = new Uri("http://127.0.0.1:4317") } }));
    }

    [Fact]
    public void Header_rules_take_the_fast_path_when_it_does_each_exactly()
    {
        static HeaderRulesSettings Rules(string name, params TemplatePart[] parts)
            => new() { Request = [new HeaderRule(HeaderAction.Set, name, new ValueTemplate(parts))], Response = [new HeaderRule(HeaderAction.Remove, "X-Internal", null)] };

        var exact = Rules("X-Meta", new TemplatePart(TemplateVariable.Literal, "r="), new TemplatePart(TemplateVariable.Route), new TemplatePart(TemplateVariable.ClientIp), new TemplatePart(TemplateVariable.TimeUnix));
        Assert.Equal((null, false), Fit(Route(r => r with { Headers = exact })));
        Assert.Equal("yes", FastRoutes.Explain(Route(), Settings(Route()) with { Headers = exact }));

        // The decoded path and query, and the route's captures, are the full pipeline's to render.
        Assert.Equal(HandOverReason.HeaderRules, Fit(Route(r => r with { Headers = Rules("X-Path", new TemplatePart(TemplateVariable.Path)) })).Reason);
        Assert.Equal(HandOverReason.HeaderRules, Fit(Route(r => r with { Headers = Rules("X-Query", new TemplatePart(TemplateVariable.Query)) })).Reason);

        // A field the fast path or a later stage writes itself.
        foreach (var own in new[] { "X-Forwarded-For", "host", "X-Request-Id", "Strict-Transport-Security", "Date", "X-Client-Cert-Subject" })
        {
            Assert.Equal(HandOverReason.HeaderRules, Fit(Route(r => r with { Headers = Rules(own, new TemplatePart(TemplateVariable.Literal, "x")) })).Reason);
        }

        Assert.Equal("header_rules", FastRoutes.Explain(Route(), Settings(Route()) with { Headers = Rules("X-Path", new TemplatePart(TemplateVariable.Path)) }));
    }

    [Fact]
    public void Listeners_that_never_take_the_fast_path_have_a_reason()
    {
        var plain = new ListenerSettings { Name = "l", EndPoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 80), Protocols = ListenerProtocols.Http1 };
        var tls = plain with { Tls = new ListenerTlsSettings(), Protocols = ListenerProtocols.Http1 | ListenerProtocols.H2 };

        Assert.Null(FastRoutes.ListenerRefusal(plain));
        Assert.Equal(HandOverReason.HttpsRedirect, FastRoutes.ListenerRefusal(plain with { RedirectToHttpsPort = 443 }));
        Assert.Equal(HandOverReason.ListenerProtocols, FastRoutes.ListenerRefusal(plain with { Protocols = ListenerProtocols.H2c }));

        // TLS: its HTTP/1.1 connections (h2 ones never reach the fast path), HSTS included (the fast path adds it).
        Assert.Null(FastRoutes.ListenerRefusal(tls));
        Assert.Equal(HandOverReason.ListenerProtocols, FastRoutes.ListenerRefusal(tls with { Protocols = ListenerProtocols.H2 }));
        Assert.Null(FastRoutes.ListenerRefusal(tls with { Tls = new ListenerTlsSettings { Hsts = [new HstsSettings()] } }));

        // HTTP/2 requests meet the fast path one by one, on any listener that offers HTTP/2; the rest holds for them too,
        // and HSTS keeps them on the full path (their fast path does not add the TLS stage's fields).
        Assert.Null(FastRoutes.ListenerRefusal(plain with { Protocols = ListenerProtocols.H2c }, http2: true));
        Assert.Null(FastRoutes.ListenerRefusal(tls with { Protocols = ListenerProtocols.H2 }, http2: true));
        Assert.Equal(HandOverReason.ListenerIpRules, FastRoutes.ListenerRefusal(plain with { Protocols = ListenerProtocols.H2c, IpRules = new IpRulesSettings() }, http2: true));
        Assert.Equal(HandOverReason.TlsListener, FastRoutes.ListenerRefusal(tls with { Protocols = ListenerProtocols.H2, Tls = new ListenerTlsSettings { Hsts = [new HstsSettings()] } }, http2: true));
    }
}
