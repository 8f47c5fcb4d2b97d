using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Portico.Security.Desync;

namespace Portico.FastPath;

/// <summary>
/// A head's fields as the full path's header dictionaries hold them, for the shared rules that
/// read one (consistent hashing's keys, the cache's storability): one value per line, bytes as
/// Latin-1, without surrounding whitespace, several lines of a field as several values.
/// </summary>
internal static class HeadDictionary
{
    // What YARP's copy of a backend response leaves out (RequestUtilities' excluded fields):
    // the cache stage sees the response after that copy, so these are never stored.
    private static readonly HashSet<string> NotCopied = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Transfer-Encoding", "Keep-Alive", "Upgrade", "Proxy-Connection", "Proxy-Authenticate",
        "Proxy-Authentication-Info", "Proxy-Authorization", "Proxy-Features", "Proxy-Instruction", "Security-Scheme",
        "ALPN", "Close", "HTTP2-Settings", "Upgrade-Insecure-Requests", "TE", "Alt-Svc",
    };

    // Response fields are checked for syntax only, as ResponseFraming checks them.
    private static readonly Http1Limits ResponseFieldLimits = new(long.MaxValue, int.MaxValue, long.MaxValue, RejectUnderscoreNames: false);

    /// <summary>The request head's fields, as Kestrel gives them to the full path.</summary>
    public static void Request(IHeaderDictionary headers, RequestHead head)
    {
        foreach (var line in head.Lines)
        {
            var field = head.Bytes.Span[line.Start..line.End];
            var name = Encoding.ASCII.GetString(field[..field.IndexOf((byte)':')]);
            headers[name] = StringValues.Concat(headers[name], Encoding.Latin1.GetString(head[line.ValueStart..line.ValueEnd]));
        }
    }

    /// <summary>
    /// A backend response head's fields as the full path's response holds them once YARP has
    /// copied them; <paramref name="connection"/> gets the Connection lines, which the copy leaves
    /// out and the hidden-field rule reads. False when a line is malformed (the relay answers 502).
    /// </summary>
    public static bool Response(IHeaderDictionary headers, ReadOnlySpan<byte> head, List<string> connection)
    {
        var fields = head[(head.IndexOf("\r\n"u8) + 2)..^2];
        foreach (var range in new LineRanges(fields))
        {
            var line = fields[range];
            var field = Http1Head.ParseField(line, ResponseFieldLimits);
            if (field.Error is not null)
            {
                return false;
            }

            var name = Encoding.ASCII.GetString(line[..line.IndexOf((byte)':')]);
            var value = Encoding.Latin1.GetString(line[field.Value]);
            if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                connection.Add(value);
            }

            if (!NotCopied.Contains(name))
            {
                headers[name] = StringValues.Concat(headers[name], value);
            }
        }

        return true;
    }
}
