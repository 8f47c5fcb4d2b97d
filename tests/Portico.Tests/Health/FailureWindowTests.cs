using Microsoft.Extensions.Time.Testing;
using Portico.Configuration.Model;
using Portico.Health;

namespace Portico.Tests.Health;

public sealed class FailureWindowTests
{
    private readonly FakeTimeProvider _time = new();

    private string? Record(FailureWindow window, bool failed, PassiveHealthSettings settings)
        => window.Record(failed, _time.GetTimestamp(), _time, settings);

    [Fact]
    public void Consecutive_failures_eject_and_a_success_resets_the_run()
    {
        var settings = new PassiveHealthSettings { ConsecutiveFailures = 3 };
        var window = new FailureWindow();

        Assert.Null(Record(window, true, settings));
        Assert.Null(Record(window, true, settings));
        Assert.Null(Record(window, false, settings));
        Assert.Null(Record(window, true, settings));
        Assert.Null(Record(window, true, settings));
        Assert.Equal("3 consecutive failures", Record(window, true, settings));
        Assert.Null(Record(window, true, settings));
    }

    [Fact]
    public void Failure_rate_ejects_only_after_the_minimum_number_of_requests()
    {
        var settings = new PassiveHealthSettings { ConsecutiveFailures = 0, FailureRate = 0.5, MinimumRequests = 10, Window = TimeSpan.FromSeconds(10) };
        var window = new FailureWindow();

        for (var i = 0; i < 4; i++)
        {
            Assert.Null(Record(window, false, settings));
            Assert.Null(Record(window, true, settings));
        }

        Assert.Null(Record(window, false, settings));
        Assert.Equal("5 of 10 requests failed within 10s", Record(window, true, settings));
    }

    [Fact]
    public void Failures_older_than_the_window_are_forgotten()
    {
        var settings = new PassiveHealthSettings { ConsecutiveFailures = 0, FailureRate = 0.5, MinimumRequests = 4, Window = TimeSpan.FromSeconds(10) };
        var window = new FailureWindow();
        Assert.Null(Record(window, true, settings));
        Assert.Null(Record(window, true, settings));
        Assert.Null(Record(window, true, settings));

        _time.Advance(TimeSpan.FromSeconds(11));
        Assert.Null(Record(window, false, settings));
        Assert.Null(Record(window, false, settings));
        Assert.Null(Record(window, false, settings));
        Assert.Null(Record(window, true, settings));
    }
}
