using System.Text;
using Portico.Security.Waf;

namespace Portico.Tests.Security.Waf;

/// <summary>How the first part of a multipart body cut at the inspection limit is closed for the engine.</summary>
public sealed class MultipartPrefixTests
{
    private const string Body = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nfirst\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.jpg\"\r\nContent-Type: image/jpeg\r\n\r\nJFIFJFIF\r\n--XyZ--\r\n";

    [Theory]
    [InlineData("multipart/form-data; boundary=XyZ", "XyZ")]
    [InlineData("Multipart/Form-Data; boundary=\"a b'c\"", "a b'c")]
    [InlineData("multipart/form-data", null)]
    [InlineData("multipart/mixed; boundary=XyZ", null)]
    [InlineData("application/x-www-form-urlencoded", null)]
    [InlineData(null, null)]
    public void The_boundary_is_read_from_a_form_data_content_type_only(string? contentType, string? boundary)
        => Assert.Equal(boundary, MultipartPrefix.Boundary(contentType));

    /// <summary>Every cut of the body: what is kept plus the close delimiter is a whole multipart body.</summary>
    [Fact]
    public void Every_cut_is_closed_after_the_part_it_falls_in_or_before_it()
    {
        var body = Encoding.ASCII.GetBytes(Body);
        var firstContent = Body.IndexOf("first", StringComparison.Ordinal);
        var fileHeaderEnd = Body.IndexOf("JFIF", StringComparison.Ordinal);
        var secondDelimiter = Body.IndexOf("\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"", StringComparison.Ordinal);
        var closeDelimiter = Body.LastIndexOf("\r\n--XyZ--", StringComparison.Ordinal);

        for (var cut = 0; cut <= body.Length; cut++)
        {
            var keep = MultipartPrefix.Keep(body.AsSpan(0, cut), "XyZ");
            var expected = cut switch
            {
                // No delimiter line yet: kept as is (the engine reports it unparseable).
                < 5 => cut,
                // Right after a header's blank line, its CRLF could begin a delimiter: left to the close.
                _ when cut == firstContent || cut == fileHeaderEnd => cut - 2,
                // In the first part's header: nothing of it.
                _ when cut < firstContent => 0,
                // In the first part's content, up to (not into) the delimiter after it.
                _ when cut <= secondDelimiter => cut,
                _ when cut < secondDelimiter + 7 => secondDelimiter,
                // In the second part's header: closed after the first part.
                _ when cut < fileHeaderEnd => secondDelimiter,
                _ when cut <= closeDelimiter => cut,
                _ => closeDelimiter,
            };
            Assert.True(expected == keep, $"cut {cut}: kept {keep}, expected {expected}");
        }
    }

    [Fact]
    public void The_close_delimiter_ends_with_a_line_end()
        => Assert.Equal("\r\n--XyZ--\r\n", Encoding.ASCII.GetString(MultipartPrefix.Close("XyZ")));
}
