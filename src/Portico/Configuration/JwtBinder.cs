using Portico.Configuration.Model;

namespace Portico.Configuration;

/// <summary>Binds a route's `auth.jwt` section. Key files are read when the config is built (Auth/AuthRuntimeBuilder).</summary>
internal static class JwtBinder
{
    public static JwtAuthSettings? Bind(MapReader auth)
    {
        var m = auth.Section("jwt");
        if (m is null)
        {
            return null;
        }

        var defaults = new JwtAuthSettings { Issuers = [], Audiences = [] };
        var issuers = m.StringList("issuer") ?? [];
        var audiences = m.StringList("audience") ?? [];
        if (issuers.Count == 0)
        {
            m.Error("issuer", "required: the issuer (iss) tokens must come from");
        }

        if (audiences.Count == 0)
        {
            m.Error("audience", "required: the audience (aud) tokens must be meant for");
        }

        var jwks = AuthBinder.HttpUrl(m, "jwksUrl");

        var keys = (m.StringList("publicKeys") ?? []).Select(k => Path.GetFullPath(k, Path.GetDirectoryName(Path.GetFullPath(m.Errors.File)) ?? "/")).ToArray();
        if ((m.Node("jwksUrl") is null) == (keys.Length == 0))
        {
            m.Error("", "give the signing keys in either 'jwksUrl' or 'publicKeys'");
        }

        var algorithms = m.StringList("algorithms") ?? defaults.Algorithms;
        foreach (var algorithm in algorithms.Where(a => !JwtAlgorithms.Supported.Contains(a)))
        {
            m.Error("algorithms", algorithm.Equals("none", StringComparison.OrdinalIgnoreCase)
                ? "'none' is never accepted: an unsigned token proves nothing (RFC 8725 §3.1)"
                : $"'{algorithm}' is not one of: {string.Join(", ", JwtAlgorithms.Supported)}");
        }

        var settings = new JwtAuthSettings
        {
            Issuers = issuers,
            Audiences = audiences,
            JwksUrl = jwks,
            PublicKeys = keys,
            Algorithms = algorithms,
            ClockSkew = m.Duration("clockSkew", allowZero: true) ?? defaults.ClockSkew,
            JwksRefresh = m.Duration("jwksRefresh") ?? defaults.JwksRefresh,
            JwksMinRefresh = m.Duration("jwksMinRefresh", allowZero: true) ?? defaults.JwksMinRefresh,
            NameClaim = m.String("nameClaim") ?? defaults.NameClaim,
            RoleClaim = m.String("roleClaim") ?? defaults.RoleClaim,
        };
        m.Finish();
        return settings;
    }
}
