using System.Text;
using Portico.FastPath;
using Yarp.ReverseProxy.Model;

namespace Portico.Tests.FastPath;

public sealed class ChunkedScannerTests
{
    [Theory]
    [InlineData("5\r\nhello\r\n0\r\n\r\n", 5)]
    [InlineData("5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 11)]
    [InlineData("A\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n", 10)]
    public void Finds_the_end_of_a_chunked_body_however_it_is_split(string body, long data)
    {
        var bytes = Encoding.ASCII.GetBytes(body + "NEXT");
        for (var split = 1; split < bytes.Length; split++)
        {
            var scanner = new ChunkedScanner();
            var first = scanner.Scan(bytes.AsSpan(0, split));
            var consumed = first;
            if (!scanner.Done)
            {
                consumed += scanner.Scan(bytes.AsSpan(split));
            }

            Assert.True(scanner.Done, $"split at {split}");
            Assert.Equal(body.Length, consumed);
            Assert.Equal(data, scanner.DataBytes);
        }
    }

    [Theory]
    [InlineData("x\r\n")]
    [InlineData("5\nhello")]
    [InlineData("5\r\nhelloX\r\n")]
    [InlineData("\r\n")]
    [InlineData("1234567890abcdef0\r\n")]
    public void Refuses_broken_framing(string body)
    {
        var scanner = new ChunkedScanner();
        Assert.Equal(-1, scanner.Scan(Encoding.ASCII.GetBytes(body)));
    }
}

public sealed class RequestHeadTests
{
    [Theory]
    [InlineData("/", true)]
    [InlineData("/a/b.txt", true)]
    [InlineData("/a/./b", false)]
    [InlineData("/a/..", false)]
    [InlineData("/a//b", false)]
    [InlineData("/a%2Fb", false)]
    [InlineData("a", false)]
    [InlineData("", false)]
    public void Only_paths_routing_sees_unchanged_are_plain(string path, bool plain)
        => Assert.Equal(plain, RequestHead.PlainPath(Encoding.ASCII.GetBytes(path)));
}

public sealed class DestinationCountersTests
{
    [Fact]
    public void Moves_the_in_flight_count_yarp_reports()
    {
        var destination = new DestinationState("d");

        DestinationCounters.Increment(destination);
        DestinationCounters.Increment(destination);
        Assert.Equal(2, destination.ConcurrentRequestCount);
        DestinationCounters.Decrement(destination);
        Assert.Equal(1, destination.ConcurrentRequestCount);
    }
}

public sealed class FastRoutesPrecedenceTests
{
    [Theory]
    [InlineData(null, "/", "5")]
    [InlineData(null, "/api", "1.5")]
    [InlineData(null, "/api/v1/", "1.15")]
    [InlineData("/api", null, "1")]
    [InlineData("/api/exact", null, "1.1")]
    [InlineData("/", null, "0")]
    public void A_literal_templates_precedence_is_the_routers(string? path, string? prefix, string expected)
    {
        var match = new Portico.Configuration.Model.RouteMatchSettings { Path = path, PathPrefix = prefix };
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), FastRoutes.Precedence(match));
    }
}
