using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using Portico.Observability;

namespace Portico.Tests.Observability;

public sealed class MetricStreamsTests
{
    [Fact]
    public void The_runtime_s_instruments_get_a_small_cardinality_limit_ours_the_default_another_host_s_none()
    {
        using var host = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var other = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var own = host.GetRequiredService<IMeterFactory>();
        using var runtime = new Meter(MetricStreams.RuntimeMeter);
        var view = MetricStreams.For(own);

        var gc = view(runtime.CreateCounter<long>("dotnet.gc.collections"));
        var ours = view(own.Create("Portico").CreateCounter<long>("portico.requests"));
        var theirs = view(other.GetRequiredService<IMeterFactory>().Create("Portico").CreateCounter<long>("portico.requests"));

        Assert.Equal(MetricStreams.RuntimeCardinalityLimit, gc?.CardinalityLimit);
        Assert.Null(ours);
        Assert.Same(MetricStreamConfiguration.Drop, theirs);
    }
}
