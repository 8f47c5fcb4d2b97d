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

    /// <summary>Persistence as Kestrel decides it (Http1MessageBody.For): HTTP/1.0 keeps the connection only with keep-alive, and close wins on either version.</summary>
    [Theory]
    [InlineData("GET / HTTP/1.0\r\n\r\n", true, true, true)]
    [InlineData("GET / HTTP/1.0\r\nHost: a\r\n\r\n", true, true, false)]
    [InlineData("HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true, false, true)]
    [InlineData("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true, false, true)]
    [InlineData("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", true, true, true)]
    [InlineData("GET / HTTP/1.0\r\nConnection: close\r\n\r\n", true, true, true)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n", false, false, false)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", false, false, false)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false, true, false)]
    public void An_http_1_0_head_persists_only_when_it_asks_to(string text, bool http10, bool close, bool noHost)
    {
        var head = new RequestHead();

        var kind = head.Parse(new System.Buffers.ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text)), new Portico.Security.Desync.Http1Limits(8192, 100, 32768, RejectUnderscoreNames: false));

        Assert.Equal(HeadKind.Whole, kind);
        Assert.Equal((http10, close, noHost), (head.Http10, head.Close, head.NoHost));
        Assert.Equal(close ? "Connection: close\r\n" : http10 ? "Connection: keep-alive\r\n" : "", Encoding.ASCII.GetString(head.ConnectionLine));
    }

    [Fact]
    public void An_http_1_0_request_with_a_body_stays_on_the_full_path()
    {
        var head = new RequestHead();

        var kind = head.Parse(new System.Buffers.ReadOnlySequence<byte>("POST / HTTP/1.0\r\nContent-Length: 1\r\n\r\nx"u8.ToArray()), new Portico.Security.Desync.Http1Limits(8192, 100, 32768, RejectUnderscoreNames: false));

        Assert.Equal(HeadKind.NotHandled, kind);
        Assert.Equal(Portico.Observability.HandOverReason.Method, head.NotHandledReason);
    }
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
