using Portico.Configuration;
using Portico.Configuration.Model;

namespace Portico.Tests.Configuration;

public sealed class YarpTranslatorTests
{
    [Theory]
    [InlineData(null, null, "/{**portico-rest}")]
    [InlineData(null, "/", "/{**portico-rest}")]
    [InlineData(null, "/api", "/api/{**portico-rest}")]
    [InlineData(null, "/api/", "/api/{**portico-rest}")]
    [InlineData("/users/{id}", null, "/users/{id}")]
    public void Path_and_prefix_become_route_templates(string? path, string? prefix, string expected)
        => Assert.Equal(expected, YarpTranslator.PathOf(new RouteMatchSettings { Path = path, PathPrefix = prefix }));

    [Fact]
    public void Clusters_fail_fast_when_every_destination_is_down_and_pick_our_policies()
    {
        var cluster = YarpTranslator.ToCluster(new ClusterSettings
        {
            Id = "c",
            Destinations = [new DestinationSettings { Name = "d", Address = new Uri("http://127.0.0.1:1") }],
            LoadBalancing = "consistent-hash",
            HttpVersion = "2",
        });

        Assert.Equal("PorticoAvailable", cluster.HealthCheck!.AvailableDestinationsPolicy);
        Assert.Equal("PorticoConsistentHash", cluster.LoadBalancingPolicy);
        Assert.Equal(new Version(2, 0), cluster.HttpRequest!.Version);
        Assert.Equal(System.Net.Http.HttpVersionPolicy.RequestVersionExact, cluster.HttpRequest.VersionPolicy);
        Assert.Equal("10000", cluster.Metadata!["portico.connectTimeoutMs"]);
    }
}
