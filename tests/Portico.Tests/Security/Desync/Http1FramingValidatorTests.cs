using System.Buffers;
using System.Text;
using Portico.Security.Desync;

namespace Portico.Tests.Security.Desync;

public sealed class Http1FramingValidatorTests
{
    private static readonly Http1Limits Limits = new(8192, 100, 32768, RejectUnderscoreNames: true);

    private static Http1FramingValidator Scan(string input, long handed = 0)
    {
        var validator = new Http1FramingValidator(Limits);
        validator.Scan(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(input)), handed);
        return validator;
    }

    [Theory]
    [InlineData("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", "chunk data does not match its size")]
    [InlineData("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\nc\r\nhello\r\n0\r\n\r\n", "bare LF")]
    [InlineData("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "both Content-Length and Transfer-Encoding")]
    [InlineData("GET /x HTTP/1.1\nHost: a\n\n", "bare LF")]
    [InlineData("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", "bare LF")]
    [InlineData("\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", "bare LF")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\n", "bare LF")]
    public void A_request_whose_bytes_arrive_together_is_refused_before_any_of_it_is_released(string input, string reason)
    {
        var validator = Scan(input);

        Assert.Equal(reason, validator.Failure?.Reason);
        Assert.True(validator.Failure!.Answerable);
        Assert.Equal(0, validator.Releasable);
    }

    [Theory]
    [InlineData("\u0016\u0003\u0001\u0000\u00c4\u0001")]
    [InlineData("GET\u0000")]
    [InlineData("\r\n\u0080")]
    public void A_request_line_that_cannot_begin_with_a_method_is_refused_before_it_ends(string input)
    {
        var validator = Scan(input);

        Assert.Equal((400, "malformed method"), (validator.Failure?.Status, validator.Failure?.Reason));
    }

    [Fact]
    public void Good_requests_before_a_bad_one_are_released_and_the_bad_one_is_not()
    {
        const string good = "POST /good HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
        var validator = Scan(good + "GET /bad HTTP/1.1\r\nHost: a\r\nX_A: 1\r\n\r\n");

        Assert.Equal("'_' in a header name", validator.Failure?.Reason);
        Assert.Equal(good.Length, validator.Releasable);
    }

    [Fact]
    public void A_chunked_body_with_extensions_and_trailers_is_released_whole()
    {
        const string request = "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n3;note=x\r\nhel\r\n2\r\nlo\r\n0\r\nX-Trailer: t\r\n\r\n";
        var validator = Scan(request + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.Null(validator.Failure);
        Assert.Equal(request.Length + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n".Length, validator.Releasable);
    }

    [Fact]
    public void A_partial_head_is_held_back()
    {
        var validator = Scan("GET /x HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n");

        Assert.Null(validator.Failure);
        Assert.Equal(0, validator.Releasable);
        Assert.True(validator.HeadPending(34));
    }
}
