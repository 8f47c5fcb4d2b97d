using Portico.Configuration.Model;
using Portico.Configuration.Yaml;
using Portico.Tls;
using Portico.Tls.Acme;

namespace Portico.Configuration;

/// <summary>
/// Binds the TLS parts of the file: `listeners.NAME.tls`, `clusters.ID.tls` and `acme`. Every
/// certificate file is read here, so a missing or broken one is a config error, not a failed start.
/// </summary>
internal static class TlsBinder
{
    public static ListenerTlsSettings? BindListener(MapReader listener)
    {
        var m = listener.Section("tls");
        if (m is null)
        {
            return listener.Node("tls") is null && listener.Entries.Any(e => e.Key.Value == "tls") ? new ListenerTlsSettings() : null;
        }

        var certificates = new List<CertificateSource>();
        if (m.Node("certificates") is { } node)
        {
            if (node is SequenceNode seq)
            {
                for (var i = 0; i < seq.Items.Count; i++)
                {
                    var entry = MapReader.For(seq.Items[i], $"{m.Child("certificates")}[{i}]", m.Errors, m.Lines, seq.Items[i].Line);
                    if (entry is not null && BindSource(entry) is { } source)
                    {
                        certificates.Add(source);
                    }
                }
            }
            else
            {
                m.Error("certificates", $"expected a list of {{ cert, key }} or {{ pfx, password }} entries, found {node.Kind}");
            }
        }

        var acme = new List<string>();
        foreach (var host in m.ScalarList("acme") ?? [])
        {
            if (host.Value.Contains('*', StringComparison.Ordinal) || Uri.CheckHostName(host.Value) != UriHostNameType.Dns)
            {
                m.Errors.Add(host.Line, m.Child("acme"), $"'{host.Value}' is not a host name (a wildcard needs the dns-01 challenge, which Portico does not answer)");
            }
            else
            {
                acme.Add(host.Value.ToLowerInvariant());
            }
        }

        var clientCertificate = BindClientCertificate(m);
        var resumption = m.Bool("sessionResumption");
        if (resumption == true && m.Node("clientCertificate") is not null)
        {
            // A resumed session skips the certificate exchange and carries what was checked at its
            // first handshake; how .NET re-runs the client certificate check from a resumed
            // session is not established here, so mutual TLS keeps full handshakes.
            m.Error("sessionResumption", "not offered with clientCertificate: every handshake checks the client certificate in full");
        }

        var settings = new ListenerTlsSettings
        {
            Certificates = certificates,
            AcmeHosts = acme,
            ClientCertificate = clientCertificate,
            SessionResumption = resumption ?? m.Node("clientCertificate") is null,
            Hsts = BindHsts(m),
        };
        m.Finish();
        return settings;
    }

    public static BackendTlsSettings? BindCluster(MapReader cluster)
    {
        var m = cluster.Section("tls");
        if (m is null)
        {
            return null;
        }

        var ca = Bundle(m, "ca");
        var skip = m.Bool("insecureSkipVerify") ?? false;
        if (skip && ca is not null)
        {
            m.Error("insecureSkipVerify", "verification is either skipped or done against 'ca', not both");
        }

        CertificateSource? client = null;
        if (m.Section("clientCertificate") is { } c)
        {
            client = BindSource(c);
        }

        var settings = new BackendTlsSettings { CaPath = ca, InsecureSkipVerify = skip, ClientCertificate = client };
        m.Finish();
        return settings;
    }

    public static AcmeSettings? BindAcme(MapReader root)
    {
        var m = root.Section("acme");
        if (m is null)
        {
            return null;
        }

        var d = new AcmeSettings { StoragePath = "" };
        var directory = AcmeSettings.LetsEncrypt;
        if (m.String("directory") is { } text && (!Uri.TryCreate(text, UriKind.Absolute, out directory) || directory.Scheme != "https"))
        {
            m.Error("directory", $"'{text}' is not an https:// URL such as {AcmeSettings.LetsEncrypt}");
            directory = AcmeSettings.LetsEncrypt;
        }

        var email = m.String("email");
        if (email is not null && (!email.Contains('@', StringComparison.Ordinal) || email.Contains(' ', StringComparison.Ordinal)))
        {
            m.Error("email", $"'{email}' is not an e-mail address");
        }

        var ca = Bundle(m, "ca");
        var challenge = m.String("challenge") ?? d.Challenge;
        if (challenge is not (AcmeChallenges.Http01 or AcmeChallenges.TlsAlpn01))
        {
            m.Error("challenge", $"'{challenge}' is not one of: {AcmeChallenges.Http01}, {AcmeChallenges.TlsAlpn01}");
        }

        var settings = new AcmeSettings
        {
            Directory = directory,
            Email = email,
            StoragePath = Resolve(m, m.String("storage") ?? "acme"),
            RenewBefore = m.Duration("renewBefore") ?? d.RenewBefore,
            RetryBackoff = m.Duration("retryBackoff") ?? d.RetryBackoff,
            MaxRetryBackoff = m.Duration("maxRetryBackoff") ?? d.MaxRetryBackoff,
            CaPath = ca,
            Challenge = challenge,
            LockTtl = m.Duration("lockTtl") ?? d.LockTtl,
        };
        if (settings.MaxRetryBackoff < settings.RetryBackoff)
        {
            m.Error("maxRetryBackoff", "must not be shorter than retryBackoff");
        }

        if (settings.LockTtl < TimeSpan.FromSeconds(1))
        {
            m.Error("lockTtl", "must be at least 1s");
        }

        m.Finish();
        return settings;
    }

    /// <summary>Binds `{ cert, key }` or `{ pfx, password }` and loads it once to prove it usable.</summary>
    private static CertificateSource? BindSource(MapReader m)
    {
        var errorsBefore = m.Errors.All.Count;
        var source = new CertificateSource
        {
            CertPath = File(m, "cert"),
            KeyPath = File(m, "key"),
            PfxPath = File(m, "pfx"),
            Password = m.String("password"),
        };
        m.Finish();
        if (m.Errors.All.Count > errorsBefore)
        {
            return null;
        }

        if ((source.CertPath is null) == (source.PfxPath is null))
        {
            m.Error("", "give either 'cert' (PEM, with 'key' unless the key is in the same file) or 'pfx'");
            return null;
        }

        if (source.PfxPath is not null && source.KeyPath is not null)
        {
            m.Error("key", "a PKCS#12 ('pfx') file holds its own key");
            return null;
        }

        var key = source.PfxPath is not null ? "pfx" : "cert";
        return Check(m, key, () => CertificateFiles.Load(source).Dispose()) ? source : null;
    }

    private static ClientCertificateSettings? BindClientCertificate(MapReader tls)
    {
        var m = tls.Section("clientCertificate");
        if (m is null)
        {
            return null;
        }

        var mode = m.String("mode") ?? "required";
        if (mode is not ("required" or "optional"))
        {
            m.Error("mode", $"'{mode}' is not one of: required, optional");
        }

        var ca = Bundle(m, "ca");
        if (m.Node("ca") is null)
        {
            m.Error("ca", "required: a PEM file with the CA certificates that sign client certificates");
        }

        var settings = new ClientCertificateSettings { Required = mode != "optional", CaPath = ca ?? "", ForwardHeaders = m.Bool("forwardHeaders") ?? true };
        m.Finish();
        return ca is null ? null : settings;
    }

    private static List<HstsSettings> BindHsts(MapReader tls)
    {
        var result = new List<HstsSettings>();
        var node = tls.Node("hsts");
        var items = node switch
        {
            null => [],
            SequenceNode seq => seq.Items,
            MappingNode => [node],
            _ => null,
        };
        if (items is null)
        {
            tls.Error("hsts", $"expected a mapping or a list of them, found {node!.Kind}");
            return result;
        }

        for (var i = 0; i < items.Count; i++)
        {
            var path = node is SequenceNode ? $"{tls.Child("hsts")}[{i}]" : tls.Child("hsts");
            if (MapReader.For(items[i], path, tls.Errors, tls.Lines, items[i].Line) is not { } m)
            {
                continue;
            }

            var d = new HstsSettings();
            result.Add(new HstsSettings
            {
                Hosts = m.StringList("hosts")?.Select(h => h.ToLowerInvariant()).ToArray() ?? [],
                MaxAge = m.Duration("maxAge", allowZero: true) ?? d.MaxAge,
                IncludeSubDomains = m.Bool("includeSubDomains") ?? false,
                Preload = m.Bool("preload") ?? false,
            });
            m.Finish();
        }

        return result;
    }

    /// <summary>The absolute path of the file named under <paramref name="key"/>; a missing file is an error.</summary>
    private static string? File(MapReader m, string key)
    {
        if (m.String(key) is not { } text)
        {
            return null;
        }

        var path = Resolve(m, text);
        if (!System.IO.File.Exists(path))
        {
            m.Error(key, $"'{text}' does not exist");
        }

        return path;
    }

    private static string? Bundle(MapReader m, string key)
    {
        var errorsBefore = m.Errors.All.Count;
        var path = File(m, key);
        if (path is not null && m.Errors.All.Count == errorsBefore)
        {
            Check(m, key, () => CertificateFiles.LoadBundle(path));
        }

        return path;
    }

    /// <summary>Relative paths are taken from the config file's folder, so a config works from any working directory.</summary>
    private static string Resolve(MapReader m, string text)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(m.Errors.File)) ?? Directory.GetCurrentDirectory();
        return Path.GetFullPath(text, folder);
    }

    private static bool Check(MapReader m, string key, Action load)
    {
        try
        {
            load();
            return true;
        }
        catch (CertificateFileException ex)
        {
            m.Error(key, $"'{m.String(key)}' {ex.Message}");
            return false;
        }
    }
}
