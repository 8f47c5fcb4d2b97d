using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Portico.Configuration.Model;
using Portico.Forwarding;

namespace Portico.Observability;

/// <summary>
/// One access-log line per request. Header values that carry credentials (Authorization,
/// Cookie, Set-Cookie) are never written: only the fields named here are.
/// </summary>
internal static class AccessLogFormatter
{
    public static string Format(AccessLogFormat format, HttpContext context, RequestExchange exchange, int status, double seconds, DateTimeOffset now)
        => format == AccessLogFormat.Combined ? Combined(context, exchange, status, now) : Json(context, exchange, status, seconds, now);

    private static string Json(HttpContext context, RequestExchange exchange, int status, double seconds, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            var request = context.Request;
            json.WriteStartObject();
            json.WriteString("time", now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            json.WriteString("requestId", exchange.RequestId);
            json.WriteString("client", ClientAddress.Of(context).ToString());
            json.WriteString("method", request.Method);
            json.WriteString("host", request.Host.Value);
            json.WriteString("path", request.Path.Value);
            json.WriteString("protocol", request.Protocol);
            json.WriteNumber("status", status);
            json.WriteNumber("bytesIn", exchange.BytesIn);
            json.WriteNumber("bytesOut", exchange.BytesOut);
            json.WriteNumber("duration", Math.Round(seconds, 6));
            WriteOrNull(json, "route", exchange.Route);
            WriteOrNull(json, "cluster", exchange.Cluster);
            WriteOrNull(json, "upstream", exchange.Upstream);
            if (exchange.UpstreamSeconds is { } upstream)
            {
                json.WriteNumber("upstreamTime", Math.Round(upstream, 6));
            }
            else
            {
                json.WriteNull("upstreamTime");
            }

            json.WriteNumber("retries", exchange.Retries);
            WriteOrNull(json, "cache", exchange.Cache);
            WriteOrNull(json, "reason", exchange.Reason is { } reason ? LocalReasonNames.Of(reason) : null);
            WriteOrNull(json, "userAgent", request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteOrNull(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    // The NCSA combined format, as nginx and Apache write it.
    private static string Combined(HttpContext context, RequestExchange exchange, int status, DateTimeOffset now)
    {
        var request = context.Request;
        var line = $"{request.Method} {Escape(request.Path.Value + request.QueryString.Value)} {request.Protocol}";
        var time = now.ToUniversalTime().ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture);
        var referer = request.Headers.Referer.ToString();
        var agent = request.Headers.UserAgent.ToString();
        return $"{ClientAddress.Of(context)} - - [{time}] \"{line}\" {status} {exchange.BytesOut} \"{Dash(referer)}\" \"{Dash(agent)}\"";
    }

    private static string Dash(string value) => value.Length == 0 ? "-" : Escape(value);

    // Quotes and control characters would let a client forge log fields; escape them.
    private static string Escape(string value)
    {
        if (!value.Any(c => c is '"' or '\\' || char.IsControl(c)))
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when char.IsControl(c) => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        }

        return sb.ToString();
    }
}
