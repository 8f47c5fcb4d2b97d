using Portico.Configuration.Model;

namespace Portico.Configuration;

/// <summary>Binds a route's `auth.forwardAuth` section.</summary>
internal static class ForwardAuthBinder
{
    public static ForwardAuthSettings? Bind(MapReader auth)
    {
        var m = auth.Section("forwardAuth");
        if (m is null)
        {
            return null;
        }

        var defaults = new ForwardAuthSettings { Url = new Uri("http://localhost/") };
        var url = AuthBinder.HttpUrl(m, "url");
        if (m.Node("url") is null)
        {
            m.Error("url", "required: the auth service's URL, such as http://127.0.0.1:9000/check");
        }

        var method = m.String("method")?.ToUpperInvariant() ?? defaults.Method;
        if (!AuthBinder.IsToken(method))
        {
            m.Error("method", $"'{method}' is not an HTTP method");
        }

        var status = m.Int("unavailableStatus", 500, 599) ?? defaults.UnavailableStatus;
        var settings = new ForwardAuthSettings
        {
            Url = url ?? defaults.Url,
            Method = method,
            RequestHeaders = Names(m, "requestHeaders") ?? defaults.RequestHeaders,
            ResponseHeaders = Names(m, "responseHeaders") ?? defaults.ResponseHeaders,
            UserHeader = AuthBinder.HeaderName(m, "userHeader"),
            Timeout = m.Duration("timeout") ?? defaults.Timeout,
            UnavailableStatus = status,
            CacheFor = m.Duration("cacheFor", allowZero: true) ?? defaults.CacheFor,
        };
        m.Finish();
        return url is null ? null : settings;
    }

    private static IReadOnlyList<string>? Names(MapReader m, string key)
    {
        var names = m.StringList(key);
        foreach (var bad in names?.Where(n => !AuthBinder.IsToken(n)) ?? [])
        {
            m.Error(key, $"'{bad}' is not a header name");
        }

        return names;
    }
}
