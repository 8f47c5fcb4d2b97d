using Microsoft.Extensions.Primitives;
using Portico.Caching;

namespace Portico.Tests.Caching;

/// <summary>RFC 9111 §1.2.2 delta-seconds and the Age field (§5.1) read as age_value (§4.2.3).</summary>
public sealed class DeltaSecondsTests
{
    [Theory]
    [InlineData("7200", 7200)]
    [InlineData("003600", 3600)]
    [InlineData("7200, 0", 7200)]
    [InlineData("7200,0", 7200)]
    [InlineData("0, 7200", 0)]
    [InlineData(" 60 ", 60)]
    [InlineData("99999999999999999999999", 1L << 31)]
    [InlineData("abc", 0)]
    [InlineData("-7200", 0)]
    [InlineData("7200.0", 0)]
    [InlineData("7200a", 0)]
    [InlineData("7200;foo=1", 0)]
    [InlineData("", 0)]
    public void Age_is_the_first_member_when_it_is_delta_seconds(string line, long expected)
        => Assert.Equal(expected, DeltaSeconds.Age(line));

    [Fact]
    public void Age_on_several_lines_is_the_first_line()
    {
        Assert.Equal(7200, DeltaSeconds.Age(new StringValues(["7200", "0"])));
        Assert.Equal(0, DeltaSeconds.Age(new StringValues(["0", "7200"])));
        Assert.Equal(0, DeltaSeconds.Age(StringValues.Empty));
    }
}
