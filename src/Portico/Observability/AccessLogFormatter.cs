using System.Buffers;
using System.Globalization;
using System.Net;
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
    public static string Format(AccessLogFormat format, in AccessLogRequest request, RequestExchange exchange, int status, double seconds, DateTimeOffset now)
        => format == AccessLogFormat.Combined ? Combined(request, exchange, status, now) : Json(request, exchange, status, seconds, now);

    private static string Json(in AccessLogRequest request, RequestExchange exchange, int status, double seconds, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            json.WriteString("requestId", exchange.RequestId);
            json.WriteString("client", request.Client.ToString());
            json.WriteString("method", request.Method);
            json.WriteString("host", request.Host);
            json.WriteString("path", request.Path);
            json.WriteString("protocol", request.Protocol);
            json.WriteNumber("status", status);
            json.WriteNumber("bytesIn", exchange.BytesIn);
            json.WriteNumber("bytesOut", exchange.BytesOut);
            json.WriteNumber("duration", Math.Round(seconds, 6));
            WriteOrNull(json, "route", exchange.Route);
            WriteOrNull(json, "cluster", exchange.Cluster);
            WriteOrNull(json, "upstream", exchange.Upstream);
            if (exchange.Rewritten is { } rewritten)
            {
                json.WriteString("rewritten", rewritten);
            }

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
            WriteOrNull(json, "arm", exchange.Arm);
            WriteOrNull(json, "reason", exchange.Reason is { } reason ? LocalReasonNames.Of(reason) : status == 499 ? LocalReasonNames.ClientClosed : null);
            WriteOrNull(json, "userAgent", request.UserAgent is { Length: > 0 } ua ? ua : null);
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
    private static string Combined(in AccessLogRequest request, RequestExchange exchange, int status, DateTimeOffset now)
    {
        var line = $"{request.Method} {Escape(request.Path + request.Query)} {request.Protocol}";
        var time = now.ToUniversalTime().ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture);
        var referer = request.Referer;
        var agent = request.UserAgent;
        return $"{request.Client} - - [{time}] \"{line}\" {status} {exchange.BytesOut} \"{Dash(referer)}\" \"{Dash(agent)}\"";
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

/// <summary>The parts of a request the access log writes, taken from an HttpContext or from the fast path's parsed head.</summary>
internal readonly record struct AccessLogRequest(IPAddress Client, string Method, string Host, string Path, string Query, string Protocol, string UserAgent, string Referer)
{
    public static AccessLogRequest From(HttpContext context)
    {
        var request = context.Request;
        return new AccessLogRequest(
            ClientAddress.Of(context), request.Method, request.Host.Value ?? "", request.Path.Value ?? "", request.QueryString.Value ?? "",
            request.Protocol, request.Headers.UserAgent.ToString(), request.Headers.Referer.ToString());
    }
}
