using Microsoft.Extensions.Time.Testing;
using Portico.Security;

namespace Portico.Tests.Security;

public sealed class SharedDeadlineTests
{
    private static readonly TimeSpan After = TimeSpan.FromSeconds(10);

    [Fact]
    public void Waits_that_begin_in_one_second_share_a_token_and_the_next_second_gets_another()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        var deadline = new SharedDeadline(After, time);

        var first = deadline.Token();
        time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.Equal(first, deadline.Token());

        time.Advance(TimeSpan.FromMilliseconds(700));
        Assert.NotEqual(first, deadline.Token());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(300)]
    [InlineData(999)]
    public void A_token_is_cancelled_no_sooner_than_the_timeout_and_within_a_second_after_it(int intoTheSecond)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        var deadline = new SharedDeadline(After, time);

        // The second's source is made by its first wait, at its start; a later wait shares it.
        deadline.Token();
        time.Advance(TimeSpan.FromMilliseconds(intoTheSecond));
        var token = deadline.Token();

        time.Advance(After - TimeSpan.FromMilliseconds(1));
        Assert.False(token.IsCancellationRequested);

        time.Advance(TimeSpan.FromSeconds(1) + TimeSpan.FromMilliseconds(1));
        Assert.True(token.IsCancellationRequested);
    }
}
