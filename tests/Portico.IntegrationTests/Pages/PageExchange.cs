using System.Text;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Pages;

/// <summary>One raw HTTP/1.1 exchange with a proxy, split into status, fields (without Date, which each answer stamps anew) and body, so two paths' answers compare as values.</summary>
internal sealed record PageExchange(int Status, IReadOnlyDictionary<string, string> Fields, string Body)
{
    public static async Task<PageExchange> SendAsync(TestProxy proxy, string target, string method = "GET", string requestId = "rid-1", string body = "", params string[] fields)
    {
        var head = new StringBuilder($"{method} {target} HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: {requestId}\r\n");
        foreach (var field in fields)
        {
            head.Append(field).Append("\r\n");
        }

        if (body.Length > 0)
        {
            head.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        }

        var response = await RawHttp.SendAsync(proxy.Address, head.Append("Connection: close\r\n\r\n").Append(body).ToString());
        var text = Encoding.UTF8.GetString(response.Bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0, $"no response head in: {text}");
        var lines = text[..end].Split("\r\n");
        var parsed = lines.Skip(1)
            .Select(l => (Name: l[..l.IndexOf(':', StringComparison.Ordinal)].ToLowerInvariant(), Value: l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()))
            .Where(f => f.Name != "date")
            .ToDictionary(f => f.Name, f => f.Value);
        var received = text[(end + 4)..];
        return new PageExchange(int.Parse(lines[0].AsSpan(9, 3)), parsed, parsed.GetValueOrDefault("transfer-encoding") == "chunked" ? Unchunk(received) : received);
    }

    private static string Unchunk(string body)
    {
        var result = new StringBuilder();
        for (var at = 0; ;)
        {
            var line = body.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(body[at..line], 16);
            if (size == 0)
            {
                return result.ToString();
            }

            result.Append(body, line + 2, size);
            at = line + 2 + size + 2;
        }
    }

    public string? Field(string name) => Fields.GetValueOrDefault(name.ToLowerInvariant());
}
