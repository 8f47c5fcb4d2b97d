using System.Security.Cryptography.X509Certificates;
using Portico.Configuration.Model;

namespace Portico.Configuration;

/// <summary>Binds the top-level `redis` section.</summary>
internal static class RedisBinder
{
    public static RedisSettings? Bind(MapReader root)
    {
        var m = root.Section("redis");
        if (m is null)
        {
            return null;
        }

        var d = new RedisSettings { Endpoints = [] };
        var endpoints = m.StringList("endpoints") ?? [];
        if (m.Node("endpoints") is null || endpoints.Count == 0)
        {
            m.Error("endpoints", "required: host:port of the Redis server, e.g. [\"127.0.0.1:6379\"]");
        }

        foreach (var endpoint in endpoints.Where(e => !IsEndpoint(e)))
        {
            m.Error("endpoints", $"'{endpoint}' is not host:port with a port from 1 to 65535");
        }

        var settings = new RedisSettings
        {
            Endpoints = endpoints,
            User = m.String("user"),
            Password = Password(m, out var file),
            PasswordFile = file,
            Tls = BindTls(m),
            Database = m.Int("database", 0, 10_000) ?? d.Database,
            KeyPrefix = m.String("keyPrefix") ?? d.KeyPrefix,
            ConnectTimeout = m.Duration("connectTimeout") ?? d.ConnectTimeout,
            OperationTimeout = m.Duration("operationTimeout") ?? d.OperationTimeout,
            BreakAfter = m.Int("breakAfter", 1, 1000) ?? d.BreakAfter,
            BreakFor = m.Duration("breakFor") ?? d.BreakFor,
            Heartbeat = m.Duration("heartbeat") ?? d.Heartbeat,
        };
        if (settings.KeyPrefix.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            m.Error("keyPrefix", $"'{settings.KeyPrefix}' holds white space or control characters");
        }

        m.Finish();
        return settings;
    }

    private static bool IsEndpoint(string text)
    {
        var colon = text.LastIndexOf(':');
        var host = colon > 0 ? text[..colon].Trim('[', ']') : "";
        return host.Length > 0 && !host.Any(char.IsWhiteSpace) && int.TryParse(text[(colon + 1)..], out var port) && port is > 0 and <= 65535;
    }

    private static string? Password(MapReader m, out string? file)
    {
        file = ConfigPaths.Resolve(m, "passwordFile");
        var password = m.String("password");
        if (password is not null && m.Node("passwordFile") is not null)
        {
            m.Error("passwordFile", "give the password in either 'password' or 'passwordFile', not both");
            return null;
        }

        if (file is null)
        {
            return password;
        }

        try
        {
            // An editor's final newline is not part of the secret.
            return File.ReadAllText(file).TrimEnd('\r', '\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            m.Error("passwordFile", $"cannot read '{file}': {e.Message}");
            return null;
        }
    }

    private static RedisTlsSettings? BindTls(MapReader root)
    {
        var m = root.Section("tls");
        if (m is null)
        {
            return null;
        }

        var ca = ConfigPaths.Resolve(m, "ca");
        if (ca is not null)
        {
            try
            {
                var bundle = new X509Certificate2Collection();
                bundle.ImportFromPemFile(ca);
                if (bundle.Count == 0)
                {
                    m.Error("ca", $"'{ca}' holds no PEM certificate");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                m.Error("ca", $"cannot read '{ca}': {e.Message}");
            }
        }

        var settings = new RedisTlsSettings { CaFile = ca, ServerName = m.String("serverName") };
        m.Finish();
        return settings;
    }
}
