using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Portico.IntegrationTests.Caching;

/// <summary>
/// An origin's answers for one representation that it serves in ranges as RFC 9110 §14 says: a
/// single `bytes=` range gets 206 with Content-Range, unless If-Range does not match its
/// entity-tag (strongly, §13.1.5), which gets 200 with the whole body, as does a request without
/// Range. <see cref="IgnoreIfRange"/> makes it an origin that answers a range whatever If-Range says.
/// </summary>
internal sealed class RangedOrigin(string body, string etag, string cacheControl = "max-age=60")
{
    public string Body { get; set; } = body;

    public string ETag { get; set; } = etag;

    public bool IgnoreIfRange { get; set; }

    /// <summary>Awaited before a 206 is sent, so a test can hold a part back.</summary>
    public Task PartGate { get; set; } = Task.CompletedTask;

    public async Task HandleAsync(HttpContext ctx)
    {
        var bytes = Encoding.ASCII.GetBytes(Body);
        ctx.Response.Headers.ETag = ETag;
        ctx.Response.Headers.CacheControl = cacheControl;
        ctx.Response.ContentType = "text/plain";
        var range = ctx.Request.Headers.Range.ToString();
        var ifRange = ctx.Request.Headers.IfRange.ToString();
        if (range.StartsWith("bytes=", StringComparison.Ordinal) && !range.Contains(',') && (IgnoreIfRange || ifRange.Length == 0 || ifRange == ETag)
            && Parse(range[6..], bytes.Length) is var (from, to))
        {
            await PartGate;
            ctx.Response.StatusCode = StatusCodes.Status206PartialContent;
            ctx.Response.Headers.ContentRange = $"bytes {from}-{to}/{bytes.Length}";
            ctx.Response.ContentLength = to - from + 1;
            await ctx.Response.Body.WriteAsync(bytes.AsMemory(from, to - from + 1));
            return;
        }

        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes);
    }

    private static (int From, int To)? Parse(string spec, int length)
    {
        var dash = spec.IndexOf('-');
        var first = spec[..dash];
        var last = spec[(dash + 1)..];
        if (first.Length == 0)
        {
            var suffix = int.Parse(last, CultureInfo.InvariantCulture);
            return (Math.Max(0, length - suffix), length - 1);
        }

        var from = int.Parse(first, CultureInfo.InvariantCulture);
        var to = last.Length == 0 ? length - 1 : Math.Min(length - 1, int.Parse(last, CultureInfo.InvariantCulture));
        return from < length ? (from, to) : null;
    }
}
