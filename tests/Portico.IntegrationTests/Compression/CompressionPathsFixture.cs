using System.IO.Compression;
using System.Text;
using Portico.IntegrationTests.FastPath;

namespace Portico.IntegrationTests.Compression;

/// <summary>
/// The two proxies of <see cref="BothPathsFixture"/> (fast path on and off, a plain and a TLS
/// listener) with compressing routes, each backend answering by path with responses written
/// byte for byte (framings, codings and fields a Kestrel origin would normalise).
/// </summary>
public sealed class CompressionPathsFixture : BothPathsFixture
{
    /// <summary>Compressible text of about 12 KiB.</summary>
    public static readonly string Text = string.Concat(Enumerable.Range(0, 300).Select(i => $"line {i} of the origin's text {i * 7919 % 1000}\n"));

    /// <summary>About 700 KiB of text: more than one read of the backend's connection, and more than one chunk out.</summary>
    public static readonly string Large = string.Concat(Enumerable.Range(0, 60).Select(_ => Text));

    /// <summary>
    /// `/` compresses with the defaults, `/features/` as the benchmark's feature route (level
    /// fastest, a rate limit, header rules), `/tiny/` from 64 bytes up (so Portico's own 502 page
    /// is encoded too), `/vary-rule/` with a response rule on Vary (the full pipeline's).
    /// </summary>
    protected override string Routes => """
        all: { match: { pathPrefix: / }, cluster: app, compression: {} }
        features:
          match: { pathPrefix: /features }
          cluster: app
          compression: { level: fastest }
          rateLimit: { limit: 100000000, window: 1s }
          headers: { request: { set: { X-Feature: "on" } }, response: { set: { X-Frame-Options: DENY }, remove: [X-Backend-Version] } }
        tiny: { match: { pathPrefix: /tiny }, cluster: app, compression: { minSize: 64, encodings: [gzip, br] } }
        varyRule:
          match: { pathPrefix: /vary-rule }
          cluster: app
          compression: {}
          headers: { response: { append: { Vary: Origin } } }
        """;

    protected override Func<string, byte[]>? Script => Answer;

    /// <summary>The backend's answer to a request head, chosen by the path's last segment.</summary>
    private static byte[] Answer(string head)
    {
        var path = head.Split(' ')[1];
        var name = path.Split('?')[0].Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        var isHead = head.StartsWith("HEAD ", StringComparison.Ordinal);
        byte[] Length(string fields, byte[] body) => [.. Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\n{fields}Content-Length: {body.Length}\r\n\r\n"), .. isHead ? [] : body];
        byte[] Chunked(string fields, string body, int size)
        {
            var text = new StringBuilder($"HTTP/1.1 200 OK\r\n{fields}Transfer-Encoding: chunked\r\n\r\n");
            if (!isHead)
            {
                for (var i = 0; i < body.Length; i += size)
                {
                    var part = body.Substring(i, Math.Min(size, body.Length - i));
                    text.Append($"{part.Length:x}{(i == 0 ? ";ext=1" : "")}\r\n{part}\r\n");
                }

                text.Append("0\r\nX-Trailer: t\r\n\r\n");
            }

            return Encoding.ASCII.GetBytes(text.ToString());
        }

        var text = Encoding.ASCII.GetBytes(Text);
        const string Plain = "Content-Type: text/plain; charset=utf-8\r\n";
        return name switch
        {
            "text" => Length($"{Plain}ETag: \"v1\"\r\nAccept-Ranges: bytes\r\nLast-Modified: Sun, 06 Dec 2026 10:00:00 GMT\r\n", text),
            "weak" => Length($"{Plain}ETag: W/\"v1\"\r\n", text),
            "chunked" => Chunked("Content-Type: text/html\r\nETag: \"c\"\r\n", Text, 1000),
            "large" => Length(Plain, Encoding.ASCII.GetBytes(Large)),
            "large-chunked" => Chunked(Plain, Large, 50_000),
            "small" => Length(Plain, text[..500]),
            "empty" => Length(Plain, []),
            "json" => Length("Content-Type: application/problem+json\r\n", text),
            "png" => Length("Content-Type: image/png\r\n", text),
            "untyped" => Length("", text),
            "gzipped" => Length($"{Plain}Content-Encoding: gzip\r\nETag: \"gz\"\r\n", Gzip(text)),
            "identity" => Length($"{Plain}Content-Encoding: identity\r\n", text),
            "no-transform" => Length($"{Plain}Cache-Control: public, no-transform\r\n", text),
            "vary" => Length($"{Plain}Vary: Origin\r\n", text),
            "vary-coding" => Length($"{Plain}Vary: origin, accept-encoding\r\n", text),
            "hidden-type" => Length($"Content-Type: image/png\r\nConnection: Content-Type\r\n", text),
            "not-modified" => Encoding.ASCII.GetBytes("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Type: text/plain\r\n\r\n"),
            "no-content" => Encoding.ASCII.GetBytes("HTTP/1.1 204 No Content\r\nContent-Type: text/plain\r\n\r\n"),
            "partial" => Encoding.ASCII.GetBytes($"HTTP/1.1 206 Partial Content\r\n{Plain}Content-Range: bytes 0-1999/{text.Length}\r\nContent-Length: 2000\r\n\r\n{(isHead ? "" : Text[..2000])}"),
            "not-found" => [.. Encoding.ASCII.GetBytes($"HTTP/1.1 404 Not Found\r\n{Plain}Content-Length: {text.Length}\r\n\r\n"), .. isHead ? [] : text],
            "broken" => Encoding.ASCII.GetBytes("HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok"),
            _ => Length(Plain, text),
        };
    }

    private static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}
