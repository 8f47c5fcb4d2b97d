using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Portico.Configuration.Model;
using Portico.Forwarding;

namespace Portico.Headers;

/// <summary>
/// A header value with `{variables}`, parsed once at config load (<see cref="TemplateParser"/>)
/// and rendered per request. What a variable yields is sent as visible ASCII: any other
/// character (a decoded path capture may hold CR, LF or UTF-8) is percent-encoded, because a
/// field value may not carry CR, LF or NUL (RFC 9110 §5.5) and Kestrel sends ASCII only.
/// </summary>
internal sealed class ValueTemplate(IReadOnlyList<TemplatePart> parts)
{
    public IReadOnlyList<TemplatePart> Parts { get; } = parts;

    /// <summary>The value for this request; <paramref name="route"/> is null when no route matched.</summary>
    public string Render(HttpContext context, RouteSettings? route, TimeProvider time)
    {
        if (Parts is [{ Variable: TemplateVariable.Literal } only])
        {
            return only.Text;
        }

        var text = new StringBuilder();
        foreach (var part in Parts)
        {
            if (part.Variable == TemplateVariable.Literal)
            {
                text.Append(part.Text);
            }
            else
            {
                AppendVisible(text, Value(part, context, route, time));
            }
        }

        return text.ToString();
    }

    private static string Value(TemplatePart part, HttpContext context, RouteSettings? route, TimeProvider time)
    {
        var request = context.Request;
        return part.Variable switch
        {
            TemplateVariable.ClientIp => ClientAddress.Of(context).ToString(),
            TemplateVariable.RequestId => context.TraceIdentifier,
            TemplateVariable.Route => route?.Id ?? "",
            TemplateVariable.Cluster => route?.Cluster ?? "",
            TemplateVariable.Host => request.Host.Value ?? "",
            TemplateVariable.Scheme => request.Scheme,
            TemplateVariable.Method => request.Method,
            TemplateVariable.Path => request.PathBase.Add(request.Path).ToUriComponent(),
            TemplateVariable.Query => request.QueryString.HasValue ? request.QueryString.Value![1..] : "",
            TemplateVariable.TimeRfc1123 => time.GetUtcNow().ToString("r", CultureInfo.InvariantCulture),
            TemplateVariable.TimeUnix => time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            TemplateVariable.TimeIso8601 => time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            TemplateVariable.PathValue => request.RouteValues.TryGetValue(part.Text, out var value) ? Convert.ToString(value, CultureInfo.InvariantCulture) ?? "" : "",
            TemplateVariable.RegexGroup => Group(route?.Match.PathRegex, part, request.Path.Value ?? "/"),
            _ => "",
        };
    }

    private static string Group(Regex? regex, TemplatePart part, string path)
    {
        if (regex is null)
        {
            return "";
        }

        try
        {
            var match = regex.Match(path);
            var group = part.Group >= 0 ? match.Groups[part.Group] : match.Groups[part.Text];
            return group.Success ? group.Value : "";
        }
        catch (RegexMatchTimeoutException)
        {
            // The same budget routing gives the pattern; past it the capture is empty.
            return "";
        }
    }

    private static void AppendVisible(StringBuilder text, string value)
    {
        Span<byte> bytes = stackalloc byte[4];
        foreach (var rune in value.EnumerateRunes())
        {
            if (rune.Value is >= 0x20 and < 0x7F)
            {
                text.Append((char)rune.Value);
                continue;
            }

            var length = rune.EncodeToUtf8(bytes);
            foreach (var b in bytes[..length])
            {
                text.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
    }
}
