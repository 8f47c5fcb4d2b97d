using System.Globalization;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Headers;
using Portico.Pages;

namespace Portico.Admin;

/// <summary>Error pages and maintenance as the admin API shows them: where each page came from, and whether a route is in maintenance now and why.</summary>
internal static class PagesView
{
    public static Dictionary<string, object> Pages(IReadOnlyDictionary<int, ErrorPageSettings> pages)
        => pages.OrderBy(p => p.Key).ToDictionary(p => p.Key.ToString(CultureInfo.InvariantCulture), p => Page(p.Value));

    /// <summary>
    /// A route's maintenance: `enabled` is what it serves now, `configured` what its config says,
    /// `switched` the admin API's switch (null when the config decides).
    /// </summary>
    public static object? Maintenance(RouteSettings route, MaintenanceSwitches? switches) => route.Maintenance is { } m
        ? new
        {
            enabled = switches?.IsOn(route) ?? m.Enabled,
            configured = m.Enabled,
            switched = switches?.Switched(route.Id),
            retryAfter = Duration.Format(m.RetryAfter),
            allowIps = m.AllowIps.Select(n => n.ToString()),
            page = m.Page is { } p ? Page(p) : null,
        }
        : null;

    private static object Page(ErrorPageSettings page) => new
    {
        contentType = page.ContentType,
        source = page.Source,
        template = page.Body.Parts.Any(p => p.Variable != TemplateVariable.Literal),
    };
}
