using System.Net;
using Portico.Configuration.Model;

namespace Portico.Configuration;

/// <summary>
/// Binds a route's `auth.oidc` section and the top-level `auth` section (the session key ring).
/// The secret file is read, and the key ring's presence checked, when the config is built
/// (Auth/AuthRuntimeBuilder).
/// </summary>
internal static class OidcBinder
{
    public static OidcAuthSettings? Bind(MapReader auth)
    {
        var m = auth.Section("oidc");
        if (m is null)
        {
            return null;
        }

        var defaults = new OidcAuthSettings { Authority = new Uri("https://localhost/"), ClientId = "" };
        var authority = Authority(m);
        var clientId = m.String("clientId");
        if (clientId is null or { Length: 0 })
        {
            m.Error("clientId", "required: Portico's client id at the provider");
        }

        var secret = m.String("clientSecret");
        var secretFile = ConfigPaths.Resolve(m, "clientSecretFile");
        if ((m.Node("clientSecret") is null) == (m.Node("clientSecretFile") is null))
        {
            m.Error("", "give the client secret in either 'clientSecret' or 'clientSecretFile'");
        }
        else if (secret is { Length: 0 })
        {
            m.Error("clientSecret", "give the client secret");
        }

        var scopes = m.StringList("scopes") ?? defaults.Scopes;
        if (!scopes.Contains("openid"))
        {
            m.Error("scopes", "must hold 'openid' (OpenID Connect Core §3.1.2.1)");
        }

        var cookie = m.String("cookie") ?? defaults.Cookie;
        if (!AuthBinder.IsToken(cookie))
        {
            m.Error("cookie", $"'{cookie}' is not a cookie name");
        }

        var settings = new OidcAuthSettings
        {
            Authority = authority ?? defaults.Authority,
            ClientId = clientId ?? "",
            ClientSecret = secret,
            ClientSecretFile = secretFile,
            Scopes = scopes,
            CallbackPath = LocalPath(m, "callbackPath") ?? defaults.CallbackPath,
            LogoutPath = LocalPath(m, "logoutPath") ?? defaults.LogoutPath,
            PostLogoutRedirect = Redirect(m) ?? defaults.PostLogoutRedirect,
            ProviderLogout = m.Bool("providerLogout") ?? defaults.ProviderLogout,
            Cookie = cookie,
            SessionLifetime = m.Duration("sessionLifetime") ?? defaults.SessionLifetime,
            RefreshBefore = m.Duration("refreshBefore", allowZero: true) ?? defaults.RefreshBefore,
            UserClaim = m.String("userClaim") ?? defaults.UserClaim,
        };
        if (settings.CallbackPath == settings.LogoutPath)
        {
            m.Error("logoutPath", "must differ from callbackPath");
        }

        m.Finish();
        return authority is null || clientId is null ? null : settings;
    }

    public static AuthSettings BindGlobal(MapReader root)
    {
        var m = root.Section("auth");
        if (m is null)
        {
            return new AuthSettings();
        }

        DataProtectionSettings? protection = null;
        if (m.Section("dataProtection") is { } d)
        {
            var dir = ConfigPaths.Resolve(d, "keysDir");
            if (dir is null && d.Node("keysDir") is null)
            {
                d.Error("keysDir", "required: the directory that keeps the session key ring");
            }

            d.Finish();
            protection = dir is null ? null : new DataProtectionSettings { KeysDir = dir };
        }

        m.Finish();
        return new AuthSettings { DataProtection = protection };
    }

    /// <summary>
    /// The provider's issuer URL. Tokens and the client secret travel between Portico and it, so
    /// plain http is accepted only on a loopback address (OpenID Connect Discovery §4 wants https).
    /// </summary>
    private static Uri? Authority(MapReader m)
    {
        var text = m.String("authority");
        if (text is null)
        {
            m.Error("authority", "required: the provider's issuer URL, such as https://login.example.com/realms/main");
            return null;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http") || url.Host.Length == 0
            || url.Query.Length > 0 || url.Fragment.Length > 0)
        {
            m.Error("authority", $"'{text}' is not an https URL without query or fragment");
            return null;
        }

        if (url.Scheme == "http" && !(url.IsLoopback || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip))))
        {
            m.Error("authority", $"'{text}' is not https: plain http is accepted only on a loopback address");
            return null;
        }

        return url;
    }

    private static string? LocalPath(MapReader m, string key)
    {
        var path = m.String(key);
        if (path is not null && (!path.StartsWith('/') || path.StartsWith("//", StringComparison.Ordinal) || path.Any(c => c is '?' or '#' || char.IsWhiteSpace(c))))
        {
            m.Error(key, $"'{path}' is not a path such as /_portico/oidc/callback");
            return null;
        }

        return path;
    }

    private static string? Redirect(MapReader m)
    {
        var text = m.String("postLogoutRedirect");
        if (text is null || (text.StartsWith('/') && !text.StartsWith("//", StringComparison.Ordinal)))
        {
            return text;
        }

        if (Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "https" or "http")
        {
            return text;
        }

        m.Error("postLogoutRedirect", $"'{text}' is neither a path nor an http(s) URL");
        return null;
    }
}
