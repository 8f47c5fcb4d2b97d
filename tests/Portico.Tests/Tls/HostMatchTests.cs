using Portico.Tls;

namespace Portico.Tests.Tls;

public sealed class HostMatchTests
{
    [Theory]
    [InlineData("example.com", "example.com", true)]
    [InlineData("example.com", "EXAMPLE.com", true)]
    [InlineData("example.com", "www.example.com", false)]
    [InlineData("*.example.com", "www.example.com", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "a.b.example.com", false)]
    [InlineData("*.example.com", ".example.com", false)]
    [InlineData("*.example.com", "wwwexample.com", false)]
    public void A_wildcard_covers_exactly_one_left_most_label(string pattern, string host, bool matches)
        => Assert.Equal(matches, ServerCertificate.HostMatches(pattern, host));
}
