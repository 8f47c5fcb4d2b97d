using Portico.Caching;

namespace Portico.Tests.Caching;

/// <summary>RFC 9110 §5.6.7: HTTP-date by its grammar, in the three forms a recipient accepts.</summary>
public sealed class HttpDatesTests
{
    private static readonly DateTimeOffset Received = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT")]
    [InlineData("Sunday, 06-Nov-94 08:49:37 GMT")]
    [InlineData("Sun Nov  6 08:49:37 1994")]
    [InlineData("  Sun, 06 Nov 1994 08:49:37 GMT\t")]
    public void Accepts_the_three_forms(string text)
    {
        Assert.True(HttpDates.TryParse(text, Received, out var value));
        Assert.Equal(new DateTimeOffset(1994, 11, 6, 8, 49, 37, TimeSpan.Zero), value);
    }

    [Fact]
    public void An_rfc850_year_more_than_50_years_ahead_is_the_last_past_year_with_those_digits()
    {
        Assert.True(HttpDates.TryParse("Monday, 06-Nov-77 08:49:37 GMT", Received, out var past));
        Assert.Equal(1977, past.Year);
        Assert.True(HttpDates.TryParse("Monday, 06-Nov-76 08:49:37 GMT", Received, out var fifty));
        Assert.Equal(2076, fifty.Year);
        Assert.True(HttpDates.TryParse("Monday, 06-Nov-50 08:49:37 GMT", Received, out var near));
        Assert.Equal(2050, near.Year);
        Assert.True(HttpDates.TryParse("Monday, 06-Nov-26 08:49:37 GMT", Received, out var same));
        Assert.Equal(2026, same.Year);
    }

    [Fact]
    public void An_asctime_day_may_be_two_digits()
    {
        Assert.True(HttpDates.TryParse("Sun Nov 16 08:49:37 1994", Received, out var value));
        Assert.Equal(16, value.Day);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("")]
    [InlineData("THU, 18 Aug 2050 02:01:18 GMT")]
    [InlineData("Thu, 18 AUG 2050 02:01:18 GMT")]
    [InlineData("Thu, 18 Aug 2050 02:01:18 gMT")]
    [InlineData("Thu, 18 Aug 2050 02:01:18 UTC")]
    [InlineData("Thu, 18 Aug 50 02:01:18 GMT")]
    [InlineData("Thu 18 Aug 2050 02:01:18 GMT")]
    [InlineData("Thu, 18  Aug  2050 02:01:18 GMT")]
    [InlineData("Thu, 18-Aug-2050 02:01:18 GMT")]
    [InlineData("Thu, 18 Aug 2050 02.01.18 GMT")]
    [InlineData("Thu, 18 Aug 2050 2:01:18 GMT")]
    [InlineData("Thu, 31 Feb 2050 02:01:18 GMT")]
    [InlineData("Thu, 18 Aug 2050 24:01:18 GMT")]
    [InlineData("Thu, 18 Aug 2050 02:01:18 GMT, Fri, 19 Aug 2050 02:01:18 GMT")]
    [InlineData("thursday, 18-Aug-50 02:01:18 GMT")]
    [InlineData("Thursday, 18-Aug-2050 02:01:18 GMT")]
    [InlineData("Sun Nov 6 08:49:37 1994")]
    public void Anything_else_is_not_a_date(string text) => Assert.False(HttpDates.TryParse(text, Received, out _));
}
