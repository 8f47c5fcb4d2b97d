using Portico.Configuration;

namespace Portico.Tests.Configuration;

public sealed class DurationTests
{
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("5s", 5_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("1m30s", 90_000)]
    [InlineData("2h", 7_200_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("0", 0)]
    public void Parses_operator_durations(string text, double ms)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(ms), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("5 s")]
    [InlineData("-5s")]
    [InlineData("5y")]
    [InlineData("s")]
    [InlineData("99999999999999d")]
    public void Refuses_anything_else(string text) => Assert.False(Duration.TryParse(text, out _));

    [Theory]
    [InlineData(30_000, "30s")]
    [InlineData(90_000, "90s")]
    [InlineData(120_000, "2m")]
    [InlineData(250, "250ms")]
    public void Formats_back(double ms, string text) => Assert.Equal(text, Duration.Format(TimeSpan.FromMilliseconds(ms)));
}
