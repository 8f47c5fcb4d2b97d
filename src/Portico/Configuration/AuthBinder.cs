using Portico.Configuration.Model;
using Portico.Configuration.Yaml;

namespace Portico.Configuration;

/// <summary>Binds a route's `auth` section. Files it names are read when the config is built (Auth/AuthRuntimeBuilder).</summary>
internal static class AuthBinder
{
    private static readonly RateLimitSettings DefaultFailedAttempts = new() { Name = "", Limit = 10, Window = TimeSpan.FromMinutes(1) };

    public static RouteAuthSettings? Bind(MapReader route, string routeId)
    {
        var m = route.Section("auth");
        if (m is null)
        {
            return null;
        }

        var apiKey = BindApiKey(m);
        var basic = BindBasic(m);
        var jwt = JwtBinder.Bind(m);
        var forwardAuth = ForwardAuthBinder.Bind(m);
        var oidc = OidcBinder.Bind(m);
        var settings = new RouteAuthSettings
        {
            ApiKey = apiKey,
            Basic = basic,
            Jwt = jwt,
            ForwardAuth = forwardAuth,
            ClientCertificate = m.Bool("clientCertificate") ?? false,
            Oidc = oidc,
            Allow = BindRules(m),
            IdentityHeaders = BindIdentityHeaders(m),
            ForwardCredentials = m.Bool("forwardCredentials") ?? false,
            FailedAttempts = BindFailedAttempts(m, routeId),
        };
        // A scheme that is written but did not bind has its own error already.
        if (!settings.Schemes().Any() && !AuthSchemeNames.All.Any(k => m.Node(k) is not null))
        {
            m.Error("", $"choose at least one scheme: {string.Join(", ", AuthSchemeNames.All)}");
        }

        m.Finish();
        return settings;
    }

    /// <summary>The `keys` list of a route's `apiKey` section or of a key file; each error names its line.</summary>
    public static List<ApiKeyEntry> BindKeys(MapReader parent)
    {
        var keys = new List<ApiKeyEntry>();
        foreach (var m in Items(parent, "keys"))
        {
            var name = m.String("name");
            var hash = m.String("sha256");
            var scopes = m.StringList("scopes") ?? [];
            m.Finish();
            if (name is null)
            {
                m.Error("name", "required: the key's name, passed on to the backend");
            }
            else if (keys.Any(k => k.Name == name))
            {
                m.Error("name", $"'{name}' names another key too");
            }

            byte[]? digest = null;
            if (hash is null)
            {
                m.Error("sha256", "required: the SHA-256 of the key in hex (printf %s KEY | sha256sum)");
            }
            else if (hash.Length != 64 || !hash.All(char.IsAsciiHexDigit))
            {
                m.Error("sha256", "not a SHA-256 in hex (64 hex digits); the key itself never goes in the config");
            }
            else
            {
                digest = Convert.FromHexString(hash);
                if (keys.Any(k => k.Sha256.AsSpan().SequenceEqual(digest)))
                {
                    m.Error("sha256", "the same hash is given for another key");
                }
            }

            if (name is not null && digest is not null)
            {
                keys.Add(new ApiKeyEntry(name, digest, scopes));
            }
        }

        return keys;
    }

    private static ApiKeyAuthSettings? BindApiKey(MapReader auth)
    {
        var m = auth.Section("apiKey");
        if (m is null)
        {
            return null;
        }

        var header = HeaderName(m, "header");
        var query = m.String("query");
        if (query is { Length: 0 })
        {
            m.Error("query", "give the query parameter's name");
        }

        var keys = BindKeys(m);
        var file = ConfigPaths.Resolve(m, "keyFile");
        if (keys.Count == 0 && file is null && m.Node("keys") is null)
        {
            m.Error("", "give the valid keys in 'keys' or 'keyFile'");
        }

        m.Finish();
        return new ApiKeyAuthSettings { Header = header ?? (query is null ? "X-Api-Key" : null), Query = query, Keys = keys, KeyFile = file };
    }

    private static BasicAuthSettings? BindBasic(MapReader auth)
    {
        var m = auth.Section("basic");
        if (m is null)
        {
            return null;
        }

        var realm = m.String("realm") ?? "Portico";
        if (realm.Any(c => c is '"' or '\\' || char.IsControl(c) || c > '~'))
        {
            m.Error("realm", "use printable ASCII without quotes or backslashes (it goes in WWW-Authenticate as a quoted string)");
        }

        var file = ConfigPaths.Resolve(m, "htpasswd");
        if (file is null && m.Node("htpasswd") is null)
        {
            m.Error("htpasswd", "required: a file of user:bcrypt-hash lines (htpasswd -B)");
        }

        m.Finish();
        return file is null ? null : new BasicAuthSettings { Realm = realm, Htpasswd = file };
    }

    private static List<AuthRuleSettings> BindRules(MapReader auth)
    {
        var rules = new List<AuthRuleSettings>();
        foreach (var m in Items(auth, "allow"))
        {
            var schemes = m.StringList("schemes") ?? [];
            foreach (var scheme in schemes.Where(s => !AuthSchemeNames.All.Contains(s)))
            {
                m.Error("schemes", $"'{scheme}' is not one of: {string.Join(", ", AuthSchemeNames.All)}");
            }

            var claims = new List<ClaimRequirement>();
            if (m.Section("claims") is { } c)
            {
                // Claim types are the operator's own names: every entry is read, none is unknown.
                foreach (var (type, value) in c.Entries)
                {
                    claims.Add(new ClaimRequirement(type.Value, Values(c, type, value)));
                }
            }

            var rule = new AuthRuleSettings
            {
                Schemes = schemes,
                Users = m.StringList("users") ?? [],
                ApiKeys = m.StringList("apiKeys") ?? [],
                Scopes = m.StringList("scopes") ?? [],
                Roles = m.StringList("roles") ?? [],
                Claims = claims,
                ClientCertSubjects = m.StringList("clientCertSubjects") ?? [],
                IpRanges = GuardBinder.Networks(m, "ipRanges"),
            };
            m.Finish();
            if (rule.Schemes.Count + rule.Users.Count + rule.ApiKeys.Count + rule.Scopes.Count + rule.Roles.Count + rule.Claims.Count
                + rule.ClientCertSubjects.Count + rule.IpRanges.Count == 0)
            {
                m.Error("", "give at least one condition: schemes, users, apiKeys, scopes, roles, claims, clientCertSubjects, ipRanges");
            }

            rules.Add(rule);
        }

        return rules;
    }

    private static IdentityHeaderSettings BindIdentityHeaders(MapReader auth)
    {
        var defaults = new IdentityHeaderSettings();
        var m = auth.Section("identityHeaders");
        if (m is null)
        {
            return defaults;
        }

        var claims = new List<KeyValuePair<string, string>>();
        if (m.Section("claims") is { } c)
        {
            // Header names are the operator's own: every entry is read, none is unknown.
            foreach (var (header, value) in c.Entries)
            {
                if (!IsToken(header.Value))
                {
                    c.Errors.Add(header.Line, c.Child(header.Value), $"'{header.Value}' is not a header name");
                }
                else if (value is ScalarNode { IsNull: false, Value: { Length: > 0 } type })
                {
                    claims.Add(new(header.Value, type));
                }
                else
                {
                    c.Errors.Add(header.Line, c.Child(header.Value), "give the claim type as a single value, such as email");
                }
            }
        }

        var user = m.String("user") is "off" ? null : HeaderName(m, "user") ?? defaults.User;
        var scheme = m.String("scheme") is "off" ? null : HeaderName(m, "scheme") ?? defaults.Scheme;
        var names = new[] { user, scheme }.Concat(claims.Select(h => h.Key)).OfType<string>().ToArray();
        if (names.Distinct(StringComparer.OrdinalIgnoreCase).Count() != names.Length)
        {
            m.Error("", "each identity header needs its own name");
        }

        m.Finish();
        return new IdentityHeaderSettings { User = user, Scheme = scheme, Claims = claims };
    }

    private static RateLimitSettings? BindFailedAttempts(MapReader auth, string routeId)
    {
        var name = "auth:" + routeId;
        if (auth.Node("failedAttempts") is ScalarNode { Value: "off" or "false" })
        {
            return null;
        }

        var m = auth.Section("failedAttempts");
        if (m is null)
        {
            return DefaultFailedAttempts with { Name = name, TokensPerPeriod = DefaultFailedAttempts.Limit };
        }

        var limit = m.Int("limit", 1, 1_000_000) ?? DefaultFailedAttempts.Limit;
        var window = m.Duration("window") ?? DefaultFailedAttempts.Window;
        m.Finish();
        return new RateLimitSettings { Name = name, Limit = limit, Window = window, TokensPerPeriod = limit };
    }

    /// <summary>A value or a list of values written under a name the operator chose.</summary>
    private static IReadOnlyList<string> Values(MapReader m, ScalarNode name, ConfigNode value)
    {
        switch (value)
        {
            case ScalarNode { IsNull: false } single:
                return [single.Value];
            case SequenceNode list when list.Items.All(i => i is ScalarNode):
                return list.Items.Cast<ScalarNode>().Select(i => i.Value).ToArray();
            default:
                m.Errors.Add(name.Line, m.Child(name.Value), "give a value or a list of values");
                return [];
        }
    }

    /// <summary>The mappings of a list under <paramref name="key"/>, each with its own reader (path key[i]).</summary>
    private static IEnumerable<MapReader> Items(MapReader parent, string key)
    {
        switch (parent.Node(key))
        {
            case null:
                yield break;
            case SequenceNode list:
                for (var i = 0; i < list.Items.Count; i++)
                {
                    if (MapReader.For(list.Items[i], $"{parent.Child(key)}[{i}]", parent.Errors, parent.Lines, list.Items[i].Line) is { } item)
                    {
                        yield return item;
                    }
                }

                break;
            default:
                parent.Error(key, "expected a list of mappings");
                break;
        }
    }

    /// <summary>The absolute http or https URL under <paramref name="key"/>; null when absent or (with an error) not one.</summary>
    internal static Uri? HttpUrl(MapReader m, string key)
    {
        var text = m.String(key);
        if (text is null)
        {
            return null;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http") || url.Host.Length == 0)
        {
            m.Error(key, $"'{text}' is not an http or https URL");
            return null;
        }

        return url;
    }

    internal static string? HeaderName(MapReader m, string key)
    {
        var name = m.String(key);
        if (name is not null && !IsToken(name))
        {
            m.Error(key, $"'{name}' is not a header name");
            return null;
        }

        return name;
    }

    internal static bool IsToken(string s) => s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c));
}
