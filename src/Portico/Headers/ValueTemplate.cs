using System.Buffers;
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
    // RFC 3986 §3.3: pchar and '/', what a path may hold unencoded.
    private static readonly SearchValues<char> PathChars = SearchValues.Create(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/");

    // RFC 3986 §3.4 less the separators of `name=value&…` ('&', '=', '+', read as a space by
    // form decoders), so a captured value stays one value.
    private static readonly SearchValues<char> QueryValueChars = SearchValues.Create(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$'()*,;:@/?");

    public IReadOnlyList<TemplatePart> Parts { get; } = parts;

    /// <summary>Whether the template is literal text alone.</summary>
    public bool IsLiteral => Parts is [{ Variable: TemplateVariable.Literal }];

    /// <summary>The value for this request; <paramref name="route"/> is null when no route matched.</summary>
    public string Render(HttpContext context, RouteSettings? route, TimeProvider time)
        => Render(new ContextValues(context, route, time));

    /// <summary>The value with its variables read from <paramref name="values"/> (the fast path's request head, or an HttpContext).</summary>
    public string Render<TValues>(TValues values)
        where TValues : ITemplateValues
    {
        if (IsLiteral)
        {
            return Parts[0].Text;
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
                AppendVisible(text, values.Value(part));
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
            TemplateVariable.TimeRfc1123 or TemplateVariable.TimeUnix or TemplateVariable.TimeIso8601 => Clock(part.Variable, time),
            TemplateVariable.PathValue => request.RouteValues.TryGetValue(part.Text, out var value) ? Convert.ToString(value, CultureInfo.InvariantCulture) ?? "" : "",
            TemplateVariable.RegexGroup => Group(route?.Match.PathRegex, part, request.Path.Value ?? "/"),
            _ => "",
        };
    }

    /// <summary>`{time_rfc1123}`, `{time_unix}` or `{time_iso8601}`: now, by <paramref name="time"/>.</summary>
    public static string Clock(TemplateVariable variable, TimeProvider time) => variable switch
    {
        TemplateVariable.TimeRfc1123 => time.GetUtcNow().ToString("r", CultureInfo.InvariantCulture),
        TemplateVariable.TimeUnix => time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        _ => time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The value as part of a URL: a redirect's target or a rewritten path (<paramref name="inQuery"/>
    /// false: before the template's first literal '?' a path, after it a query) or one query
    /// parameter's value (<paramref name="inQuery"/> true). What a variable yields is
    /// percent-encoded for where it lands (RFC 3986 §3.3, §3.4): a capture of the decoded path
    /// that holds '?' or '#' cannot end the path, nor one in a query value add a parameter.
    /// `{path}`, `{query}`, `{host}` and `{scheme}` are already in their wire form and go as they
    /// are. A '%' with two hex digits is kept, so a `%2F` the path kept encoded stays `%2F` and
    /// never becomes a '/'. <paramref name="captured"/> is the rule's own match for `{re.…}`;
    /// null for the route's `match.pathRegex`.
    /// </summary>
    public string RenderUrl(HttpContext context, RouteSettings? route, TimeProvider time, Match? captured, bool inQuery)
    {
        if (IsLiteral)
        {
            return Parts[0].Text;
        }

        var text = new StringBuilder();
        foreach (var part in Parts)
        {
            if (part.Variable == TemplateVariable.Literal)
            {
                inQuery |= part.Text.Contains('?');
                text.Append(part.Text);
                continue;
            }

            var value = part.Variable == TemplateVariable.RegexGroup && captured is not null
                ? (part.Group >= 0 ? captured.Groups[part.Group] : captured.Groups[part.Text]) is { Success: true } g ? g.Value : ""
                : Value(part, context, route, time);
            if (part.Variable is TemplateVariable.Path or TemplateVariable.Query or TemplateVariable.Host or TemplateVariable.Scheme)
            {
                AppendVisible(text, value);
            }
            else
            {
                AppendEncoded(text, value, inQuery ? QueryValueChars : PathChars);
            }
        }

        return text.ToString();
    }

    private static void AppendEncoded(StringBuilder text, string value, SearchValues<char> keep)
    {
        Span<byte> bytes = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (keep.Contains(c) || (c == '%' && i + 2 < value.Length && char.IsAsciiHexDigit(value[i + 1]) && char.IsAsciiHexDigit(value[i + 2])))
            {
                text.Append(c);
                continue;
            }

            // A lone surrogate becomes U+FFFD rather than an exception.
            Rune.DecodeFromUtf16(value.AsSpan(i), out var rune, out var consumed);
            i += consumed - 1;
            foreach (var b in bytes[..rune.EncodeToUtf8(bytes)])
            {
                text.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
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

    /// <summary>The full pipeline's variables, read from the request's HttpContext.</summary>
    private readonly struct ContextValues(HttpContext context, RouteSettings? route, TimeProvider time) : ITemplateValues
    {
        public string Value(TemplatePart part) => ValueTemplate.Value(part, context, route, time);
    }
}
