using System.Collections.Frozen;
using Microsoft.AspNetCore.DataProtection;
using Portico.Configuration;
using Portico.Configuration.Model;

namespace Portico.Auth;

/// <summary>
/// At every config load: reads the credential files the routes name (each error as
/// `file:line` of the config key, then where in the credential file), checks what needs the
/// rest of the config, and builds each protected route's schemes. Nothing is built when no
/// route has `auth`.
/// </summary>
internal sealed class AuthRuntimeBuilder(TimeProvider time, SessionKeyRings keyRings) : IConfigRuntimeBuilder
{
    public IDisposable? Build(PorticoSettings settings, ConfigErrors errors, ConfigLines lines)
    {
        var routes = settings.Routes.Where(r => r.Auth is not null).ToArray();
        if (routes.Length == 0)
        {
            return null;
        }

        var files = new List<IWatchedFile>();
        var built = new Dictionary<string, RouteAuth>(StringComparer.Ordinal);
        var oidcPaths = new Dictionary<string, OidcEndpoints>(StringComparer.Ordinal);
        var oidcCookies = new Dictionary<string, string>(StringComparer.Ordinal);
        var sharedRings = new List<RedisXmlRepository>();
        foreach (var route in routes)
        {
            var auth = route.Auth!;
            var prefix = $"routes.{route.Id}.auth";
            void Add(string key, string reason) => errors.Add(lines.Of(key) ?? lines.Of(prefix) ?? 0, key, reason);

            var schemes = new List<IAuthenticator>();
            if (auth.ApiKey is { } apiKey)
            {
                var file = apiKey.KeyFile is { } path
                    ? Open(path, (text, e) => ApiKeyTable.ParseFile(text, e) is { } keys ? new ApiKeyTable(keys) : null, $"{prefix}.apiKey.keyFile", Add)
                    : null;
                if (file is not null)
                {
                    files.Add(file);
                }

                schemes.Add(new ApiKeyAuthenticator(apiKey, new ApiKeyTable(apiKey.Keys), file));
            }

            if (auth.Basic is { } basic && Open(basic.Htpasswd, Htpasswd.Parse, $"{prefix}.basic.htpasswd", Add) is { } users)
            {
                files.Add(users);
                schemes.Add(new BasicAuthenticator(basic, users));
            }

            if (auth.Jwt is { } jwt)
            {
                ISigningKeys keys = jwt.JwksUrl is { } url
                    ? new JwksSigningKeys(url, jwt.JwksRefresh, jwt.JwksMinRefresh, time)
                    : StaticSigningKeys.Load(jwt.PublicKeys, reason => Add($"{prefix}.jwt.publicKeys", reason));
                schemes.Add(new JwtAuthenticator(route.Id, jwt, keys));
            }

            if (auth.ForwardAuth is { } forward)
            {
                schemes.Add(new ForwardAuthenticator(route.Id, forward, time));
            }

            if (auth.ClientCertificate)
            {
                if (!settings.Listeners.Any(l => l.Tls?.ClientCertificate is not null))
                {
                    Add($"{prefix}.clientCertificate", "no listener asks for client certificates (listeners.NAME.tls.clientCertificate)");
                }

                schemes.Add(new ClientCertificateAuthenticator());
            }

            if (auth.Oidc is { } oidc && Oidc(route.Id, oidc, settings.Auth, settings.Redis, sharedRings, $"{prefix}.oidc", Add) is { } login)
            {
                var endpoints = new OidcEndpoints(login);
                foreach (var (key, path) in ((string, string)[])[("callbackPath", oidc.CallbackPath), ("logoutPath", oidc.LogoutPath)])
                {
                    if (!oidcPaths.TryAdd(path, endpoints))
                    {
                        Add($"{prefix}.oidc.{key}", $"'{path}' is route {oidcPaths[path].RouteId}'s OIDC path already; give each OIDC route its own callbackPath and logoutPath");
                    }
                }

                if (!oidcCookies.TryAdd(oidc.Cookie, route.Id))
                {
                    Add($"{prefix}.oidc.cookie", $"'{oidc.Cookie}' is route {oidcCookies[oidc.Cookie]}'s session cookie already; give each OIDC route its own");
                }

                schemes.Add(new OidcAuthenticator(login));
            }

            built[route.Id] = new RouteAuth(route.Id, auth, schemes);
        }

        var runtime = new AuthRuntime(
            built.ToFrozenDictionary(StringComparer.Ordinal),
            routes.SelectMany(r => r.Auth!.WrittenHeaders()).Distinct(StringComparer.OrdinalIgnoreCase).ToArray(),
            files,
            oidcPaths.ToFrozenDictionary(StringComparer.Ordinal),
            sharedRings);
        if (errors.Any)
        {
            runtime.Dispose();
            return null;
        }

        return runtime;
    }

    /// <summary>
    /// A route's OIDC login: its secret read, its key ring opened (OIDC without a key ring would
    /// lose every session at a restart, so it is refused). `auth.dataProtection.keysDir` keeps the
    /// ring on disk; without it, a `redis` section keeps it in Redis for every instance.
    /// </summary>
    private OidcRoute? Oidc(string routeId, OidcAuthSettings oidc, AuthSettings auth, RedisSettings? redis, List<RedisXmlRepository> sharedRings, string key, Action<string, string> add)
    {
        if (auth.DataProtection is null && redis is null)
        {
            add(key, "OIDC without a secret store: set auth.dataProtection.keysDir (the directory that keeps the key ring encrypting session cookies) or a top-level redis section (the ring is then kept in Redis for every instance)");
            return null;
        }

        var secret = oidc.ClientSecret;
        if (oidc.ClientSecretFile is { } file)
        {
            try
            {
                secret = File.ReadAllText(file).Trim();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                add($"{key}.clientSecretFile", $"cannot read {file}: {ex.Message}");
                return null;
            }

            if (secret.Length == 0)
            {
                add($"{key}.clientSecretFile", $"{file} is empty");
                return null;
            }
        }

        IDataProtectionProvider? keys;
        if (auth.DataProtection is { } store)
        {
            keys = keyRings.For(store, reason => add("auth.dataProtection.keysDir", reason));
        }
        else
        {
            var (provider, repository) = keyRings.ForRedis(redis!);
            sharedRings.Add(repository);
            keys = provider;
        }

        return keys is null ? null : new OidcRoute(routeId, oidc, new OidcProvider(oidc, secret!), keys, time);
    }

    private static WatchedFile<T>? Open<T>(string path, Func<string, ConfigErrors, T?> parse, string key, Action<string, string> add)
        where T : class
    {
        var fileErrors = new ConfigErrors(path);
        var file = WatchedFile<T>.Open(path, parse, fileErrors);
        foreach (var error in fileErrors.All)
        {
            add(key, error.Line > 0 ? $"{path}:{error.Line}: {(error.Key.Length > 0 ? error.Key + ": " : "")}{error.Reason}" : $"{path} {error.Reason}");
        }

        return file;
    }
}
