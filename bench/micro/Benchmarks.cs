using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portico.Caching;
using Portico.Cli;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.FastPath;
using Portico.LoadBalancing;
using Portico.Security.Desync;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Portico.Micro;

/// <summary>A browser's GET of a cached URL, and the routes of bench/run.sh's Portico.</summary>
public static class Sample
{
    public const string Head = "GET /cached/1k?v=3 HTTP/1.1\r\nHost: www.example.com\r\n"
        + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n"
        + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate, br\r\n"
        + "Accept-Language: en-US,en;q=0.9\r\nCookie: session=3f2a9c1e; theme=dark\r\nConnection: keep-alive\r\n\r\n";

    public const string Config = """
        listeners:
          http: { address: "127.0.0.1:24100" }
        routes:
          all: { match: { pathPrefix: / }, cluster: origin }
          cached: { match: { pathPrefix: /cached }, cluster: origin, cache: {} }
          text: { match: { pathPrefix: /text }, cluster: origin, compression: {} }
        clusters:
          origin: { destinations: [http://127.0.0.1:24080] }
        """;

    internal static readonly ReadOnlySequence<byte> Bytes = new(Encoding.ASCII.GetBytes(Head));

    internal static readonly Http1Limits Limits = new(8192, 100, 32768, RejectUnderscoreNames: false);

    internal static ConfigSnapshot Snapshot()
    {
        var loaded = StandaloneLoader.LoadTextAsync(Config, "micro").GetAwaiter().GetResult();
        return new ConfigSnapshot(loaded.Settings ?? throw new InvalidOperationException(string.Join("; ", loaded.Errors)), "micro", 1, loaded.Runtimes);
    }
}

/// <summary>What the fast path does per request before it writes a byte, and the full path's equivalents.</summary>
[MemoryDiagnoser]
public class RequestBenchmarks
{
    private readonly RequestHead _parse = new();
    private readonly RequestHead _head = new();
    private FastRoutes _routes = null!;
    private RouteSettings _cached = null!;
    private CompressionSettings _compression = null!;
    private HttpContext _context = null!;
    private CacheEntry _entry = null!;

    [GlobalSetup]
    public void Setup()
    {
        var snapshot = Sample.Snapshot();
        _routes = FastRoutes.Build(snapshot);
        _cached = snapshot.Route("cached")!;
        _compression = snapshot.Route("text")!.Compression!;
        if (_head.Parse(Sample.Bytes, Sample.Limits) != HeadKind.Whole)
        {
            throw new InvalidOperationException("the sample head does not parse");
        }

        _context = new DefaultHttpContext();
        var request = _context.Request;
        request.Scheme = "http";
        request.Host = new HostString("www.example.com");
        request.Path = "/cached/1k";
        request.QueryString = new QueryString("?v=3");
        request.Headers.AcceptEncoding = "gzip, deflate, br";
        var now = DateTimeOffset.UtcNow;
        _entry = new CacheEntry
        {
            Key = CacheKey.Of(request),
            Vary = [new("accept-encoding", VaryKeys.AcceptedCodings(request.Headers.AcceptEncoding))],
            Status = 200,
            Headers = [new("Content-Type", "text/plain"), new("Cache-Control", "max-age=60"), new("Vary", "Accept-Encoding")],
            Body = new byte[1024],
            RequestTime = now,
            ResponseTime = now,
            Date = now,
            Directives = CacheDirectives.Parse("max-age=60"),
        };
    }

    /// <summary>Finds and checks the head (framing rules, field kinds).</summary>
    [Benchmark]
    public bool ParseHead() => _parse.Parse(Sample.Bytes, Sample.Limits) == HeadKind.Whole;

    /// <summary>Picks the route among three overlapping literal ones.</summary>
    [Benchmark]
    public bool MatchRoute()
        => _routes.Match(_head[_head.Method], _head[_head.Host], _head[_head.Path], _head.Target.End.Value - _head.Target.Start.Value, out _) is not null;

    [Benchmark]
    public string CacheKeyFullPath() => CacheKey.Of(_context.Request);

    [Benchmark]
    public string? CacheKeyFastPath() => FastCache.KeyOf(_head, "http");

    /// <summary>Vary: Accept-Encoding against the stored variant, the request's codings normalized first.</summary>
    [Benchmark]
    public bool VaryFullPath() => VaryKeys.Matches(_entry, _context.Request.Headers, VaryKeys.AcceptedCodings(_context.Request.Headers.AcceptEncoding));

    [Benchmark]
    public bool VaryFastPath()
    {
        string? acceptEncoding = null;
        return FastCache.Matches(_entry, _head, _cached, ref acceptEncoding);
    }

    /// <summary>The coding a compressed route picks from Accept-Encoding (also its cache's variant key).</summary>
    [Benchmark]
    public string? NegotiateCoding() => Compression.CompressionNegotiator.Choose(_compression, _context.Request.Headers.AcceptEncoding);

    [Benchmark]
    public TimeSpan Freshness() => Caching.Freshness.Lifetime(_entry, heuristic: true) - Caching.Freshness.Age(_entry, DateTimeOffset.UtcNow);
}

/// <summary>Destination choice over three healthy destinations, per policy.</summary>
[MemoryDiagnoser]
public class LoadBalancingBenchmarks
{
    private readonly HttpContext _context = new DefaultHttpContext();
    private ILoadBalancingPolicy _policy = null!;
    private ClusterState _cluster = null!;
    private DestinationState[] _destinations = null!;

    [Params("PowerOfTwoChoices", "RoundRobin", "LeastRequests", PolicyNames.Weighted)]
    public string Policy { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var destinations = Enumerable.Range(0, 3)
            .Select(i => new DestinationSettings { Name = $"d{i}", Address = new Uri($"http://127.0.0.1:{9000 + i}"), Weight = i + 1 }).ToArray();
        var config = new ActiveConfig();
        config.Set(new ConfigSnapshot(new PorticoSettings
        {
            Listeners = [],
            Proxy = new ProxySettings(),
            Routes = [],
            Clusters = [new ClusterSettings { Id = "c", Destinations = destinations, LoadBalancing = PolicyNames.Weighted }],
        }, "micro", 1));
        var services = new ServiceCollection().AddLogging().AddReverseProxy().Services.BuildServiceProvider();
        _policy = Policy == PolicyNames.Weighted
            ? new WeightedRoundRobinPolicy(config)
            : services.GetServices<ILoadBalancingPolicy>().Single(p => p.Name == Policy);
        _cluster = new ClusterState("c");
        _destinations = destinations.Select(d => new DestinationState(d.Name)).ToArray();
    }

    [Benchmark]
    public DestinationState? Pick() => _policy.PickDestination(_context, _cluster, _destinations);
}
