using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.WebUtilities;
using Portico.Configuration.Model;
using Portico.Headers;

namespace Portico.Forwarding;

/// <summary>
/// Renders a custom page (<see cref="ErrorPageSettings"/>) for one answer. A variable's value is
/// escaped for the page's media type (HTML or XML: entities; JSON: a string's escapes), since a
/// client chooses its own request id and the page is the operator's, not the client's, to write.
/// </summary>
internal static class PageTemplate
{
    public static byte[] Render(ErrorPageSettings page, in PageContext values)
    {
        var parts = page.Body.Parts;
        if (parts is [{ Variable: TemplateVariable.Literal } only])
        {
            return Encoding.UTF8.GetBytes(only.Text);
        }

        var escape = Escaper(page.ContentType);
        var text = new StringBuilder();
        foreach (var part in parts)
        {
            text.Append(part.Variable == TemplateVariable.Literal ? part.Text : escape(Value(part.Variable, values)));
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static string Value(TemplateVariable variable, in PageContext values) => variable switch
    {
        TemplateVariable.Status => values.Status.ToString(CultureInfo.InvariantCulture),
        TemplateVariable.Reason => ReasonPhrases.GetReasonPhrase(values.Status),
        TemplateVariable.RequestId => values.RequestId,
        TemplateVariable.Route => values.Route ?? "",
        TemplateVariable.ClientIp => values.ClientIp.ToString(),
        TemplateVariable.TimeRfc1123 => values.Now.ToString("r", CultureInfo.InvariantCulture),
        TemplateVariable.TimeUnix => values.Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        TemplateVariable.TimeIso8601 => values.Now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        _ => "",
    };

    private static Func<string, string> Escaper(string contentType)
    {
        var media = contentType.Split(';', 2)[0].Trim();
        if (media.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return JavaScriptEncoder.Default.Encode;
        }

        return media.Contains("html", StringComparison.OrdinalIgnoreCase) || media.Contains("xml", StringComparison.OrdinalIgnoreCase)
            ? WebUtility.HtmlEncode
            : static value => value;
    }
}
