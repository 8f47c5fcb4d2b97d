using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using Portico.Configuration.Model;
using Portico.Observability;

namespace Portico.Tests.Observability;

public sealed class MetricStreamsTests
{
    [Fact]
    public void The_runtime_s_instruments_get_a_small_cardinality_limit_ours_one_from_their_labels_another_host_s_none()
    {
        using var host = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var other = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var own = host.GetRequiredService<IMeterFactory>();
        using var runtime = new Meter(MetricStreams.RuntimeMeter);
        var view = MetricStreams.For(own, new MetricShape(Settings(routes: 1)));

        var gc = view(runtime.CreateCounter<long>("dotnet.gc.collections"));
        var ours = view(own.Create("Portico").CreateCounter<long>("portico.requests"));
        var reasons = view(own.Create("Portico").CreateCounter<long>("portico.local.responses"));
        var unknown = view(own.Create("Portico").CreateCounter<long>("portico.something.new"));
        var theirs = view(other.GetRequiredService<IMeterFactory>().Create("Portico").CreateCounter<long>("portico.requests"));

        Assert.Equal(MetricStreams.RuntimeCardinalityLimit, gc?.CardinalityLimit);
        Assert.Equal(MetricLimits.Floor, ours?.CardinalityLimit);
        Assert.Equal(MetricLimits.Closed, reasons?.CardinalityLimit);
        Assert.Null(unknown);
        Assert.Same(MetricStreamConfiguration.Drop, theirs);
    }

    [Theory]
    [InlineData(1, 2000, 2000, 2000)]
    [InlineData(100, 2000, 2000, 2000)] // requests: 101 (route, cluster) pairs × 5 status classes × 2 = 1010, under the floor
    [InlineData(1000, 10010, 2002, 2000)]
    public void Limits_follow_the_config_s_routes_with_room_for_reloads(int routes, int requests, int duration, int upstream)
    {
        var shape = new MetricShape(Settings(routes));

        Assert.Equal(requests, MetricLimits.For("portico.requests", shape));
        Assert.Equal(duration, MetricLimits.For("portico.request.duration", shape));
        Assert.Equal(upstream, MetricLimits.For("portico.upstream.duration", shape));
    }

    [Fact]
    public void A_feature_s_instruments_grow_with_the_routes_that_use_it_and_destinations_found_by_dns_keep_the_default()
    {
        var settings = Settings(routes: 200);
        var withAuth = settings with
        {
            Routes = settings.Routes.Select((r, i) => i < 20 ? r with { Auth = new RouteAuthSettings { Basic = new BasicAuthSettings { Htpasswd = "users.htpasswd" } } } : r).ToList(),
        };
        var discovering = settings with
        {
            Clusters = [settings.Clusters[0] with { Destinations = [], Discovery = new DnsDiscoverySettings { Name = "app.internal", Port = 80 } }],
        };

        // 20 routes with auth and the empty one, 56 series each, twice over (past the floor).
        Assert.Equal(21 * 56 * 2, MetricLimits.For("portico.auth.requests", new MetricShape(withAuth)));
        Assert.Equal(MetricLimits.Floor, MetricLimits.For("portico.auth.requests", new MetricShape(settings)));
        Assert.Null(MetricLimits.For("portico.destination.healthy", new MetricShape(discovering)));
        Assert.Equal(MetricLimits.Floor, MetricLimits.For("portico.destination.healthy", new MetricShape(settings)));
        // No HTTPS listener, no certificate; a reload cannot add a listener.
        Assert.Equal(MetricLimits.Floor, MetricLimits.For("portico.tls.certificate.expiry", new MetricShape(settings)));
    }

    [Fact]
    public void The_shape_keeps_the_routes_of_every_config_it_was_given()
    {
        var shape = new MetricShape(Settings(routes: 3));
        shape.Add(Settings(routes: 2, prefix: "other"));

        Assert.Equal(3 + 2 + 1, shape.Routes);
        Assert.Equal(3 + 2 + 1, shape.RouteClusters);
        Assert.Equal(2, shape.Clusters);
    }

    private static PorticoSettings Settings(int routes, string prefix = "r") => new()
    {
        Listeners = [],
        Proxy = new ProxySettings(),
        Routes = Enumerable.Range(0, routes).Select(i => new RouteSettings
        {
            Id = $"{prefix}{i}",
            Match = new RouteMatchSettings { PathPrefix = $"/{prefix}{i}" },
            Cluster = "app",
        }).ToList(),
        Clusters = [new ClusterSettings { Id = "app", Destinations = [new DestinationSettings { Name = "d1", Address = new Uri("http://127.0.0.1:1") }] }],
    };
}
