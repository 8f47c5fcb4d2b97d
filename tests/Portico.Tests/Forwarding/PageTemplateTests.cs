using System.Net;
using System.Text;
using Portico.Configuration.Model;
using Portico.Forwarding;
using Portico.Headers;

namespace Portico.Tests.Forwarding;

/// <summary>
/// A custom page's template (TemplateParser.ParsePage, PageTemplate): any text a body may hold,
/// only the page variables, and each value escaped for the page's media type.
/// </summary>
public sealed class PageTemplateTests
{
    private static readonly PageContext Values = new(503, "<a href='x'>&", "shop", IPAddress.Parse("2001:db8::1"), new DateTimeOffset(2026, 12, 6, 9, 30, 0, TimeSpan.Zero));

    private static string Render(string template, string contentType)
    {
        var parsed = TemplateParser.ParsePage(template, out var error);
        Assert.True(parsed is not null, error);
        return Encoding.UTF8.GetString(PageTemplate.Render(new ErrorPageSettings { Body = parsed, ContentType = contentType, Source = "inline" }, Values));
    }

    [Fact]
    public void Every_variable_is_filled_and_a_body_may_hold_line_breaks_and_UTF_8()
        => Assert.Equal(
            "503 Service Unavailable\nshop 2001:db8::1 <a href='x'>&\nSun, 06 Dec 2026 09:30:00 GMT 1796549400 2026-12-06T09:30:00Z — {braces}",
            Render("{status} {reason}\n{route} {client_ip} {request_id}\n{time_rfc1123} {time_unix} {time_iso8601} — {{braces}}", "text/plain"));

    [Theory]
    [InlineData("text/html; charset=utf-8", "<p>&lt;a href=&#39;x&#39;&gt;&amp;</p>")]
    [InlineData("application/xhtml+xml", "<p>&lt;a href=&#39;x&#39;&gt;&amp;</p>")]
    [InlineData("application/problem+json", "<p>\\u003Ca href=\\u0027x\\u0027\\u003E\\u0026</p>")]
    [InlineData("text/plain", "<p><a href='x'>&</p>")]
    public void A_value_is_escaped_for_the_pages_media_type(string contentType, string expected)
        => Assert.Equal(expected, Render("<p>{request_id}</p>", contentType));

    [Theory]
    [InlineData("{host}", "unknown variable '{host}' in a page; known: status, reason, request_id, route, client_ip, time_rfc1123, time_unix, time_iso8601")]
    [InlineData("{re.1}", "unknown variable '{re.1}' in a page; known: status, reason, request_id, route, client_ip, time_rfc1123, time_unix, time_iso8601")]
    [InlineData("a { b", "'{' is not closed; write '{{' for a literal brace")]
    [InlineData("a } b", "'}' has no '{'; write '}}' for a literal brace")]
    public void Only_the_page_variables_and_balanced_braces_parse(string template, string expected)
    {
        Assert.Null(TemplateParser.ParsePage(template, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void A_header_value_still_refuses_a_line_break_and_the_page_variables()
    {
        Assert.Null(TemplateParser.Parse("a\nb", TemplateCaptures.None, out _));
        Assert.Null(TemplateParser.Parse("{status}", TemplateCaptures.None, out var error));
        Assert.StartsWith("unknown variable '{status}'", error, StringComparison.Ordinal);
    }
}
