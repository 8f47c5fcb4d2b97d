using Portico.Configuration.Model;

namespace Portico.Configuration;

/// <summary>Binds a route's `cors` section.</summary>
internal static class CorsBinder
{
    public static CorsSettings? Bind(MapReader route)
    {
        var m = route.Section("cors");
        if (m is null)
        {
            return null;
        }

        var defaults = new CorsSettings { AllowOrigins = [] };
        var origins = m.StringList("allowOrigins") ?? [];
        var methods = m.StringList("allowMethods") ?? defaults.AllowMethods;
        var headers = m.StringList("allowHeaders") ?? [];
        var credentials = m.Bool("allowCredentials") ?? false;
        var expose = m.StringList("exposeHeaders") ?? [];
        var maxAge = m.Duration("maxAge", allowZero: true);
        m.Finish();

        if (origins.Count == 0)
        {
            m.Error("allowOrigins", "required: the origins allowed, e.g. [https://app.example.com], [\"https://*.example.com\"] or [\"*\"]");
        }

        foreach (var origin in origins.Where(o => o != "*" && !IsOrigin(o)))
        {
            m.Error("allowOrigins", $"'{origin}' is not an origin: write http(s)://host[:port] without a path, https://*.domain for its subdomains, or '*' alone");
        }

        foreach (var (key, values) in new[] { ("allowMethods", methods), ("allowHeaders", headers), ("exposeHeaders", expose) })
        {
            foreach (var value in values.Where(v => !RouteBinder.IsToken(v)))
            {
                m.Error(key, $"'{value}' is not a {(key == "allowMethods" ? "method" : "header name")}");
            }

            // Fetch §3.2.5: with credentials, a browser takes `*` literally (or refuses it), never as "any".
            if (credentials && values.Contains("*"))
            {
                m.Error(key, "'*' cannot be used with allowCredentials: true (browsers take it literally, or refuse it, when credentials are sent); list the values");
            }
        }

        if (credentials && origins.Contains("*"))
        {
            m.Error("allowOrigins", "'*' cannot be used with allowCredentials: true (browsers refuse a wildcard origin with credentials); list the origins");
        }

        return new CorsSettings
        {
            AllowOrigins = origins,
            AllowMethods = methods,
            AllowHeaders = headers,
            AllowCredentials = credentials,
            ExposeHeaders = expose,
            MaxAge = maxAge,
        };
    }

    /// <summary>scheme://host[:port] as browsers send it in Origin (RFC 6454 §6.1), the host possibly `*.` and a domain.</summary>
    private static bool IsOrigin(string text)
    {
        var concrete = text.Replace("://*.", "://wildcard.", StringComparison.Ordinal);
        return !concrete.Contains('*') && Uri.TryCreate(concrete, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
               && uri.GetLeftPart(UriPartial.Authority).Equals(concrete, StringComparison.OrdinalIgnoreCase) && uri.UserInfo.Length == 0;
    }
}
