using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Portico.Tls;

/// <summary>A certificate ready to serve: the handshake context (leaf + chain) and the DNS names it covers.</summary>
internal sealed class ServerCertificate
{
    // An array, so that the handshake's searches (Named, Covers) allocate no enumerator.
    private readonly string[] _names;

    public ServerCertificate(LoadedCertificate loaded, string origin, string kind)
    {
        Leaf = loaded.Leaf;
        Origin = origin;
        Kind = kind;
        _names = DnsNames(loaded.Leaf);
        Context = loaded.Context();
    }

    public X509Certificate2 Leaf { get; }

    public SslStreamCertificateContext Context { get; }

    /// <summary>Lower-case DNS names from the subject alternative names (or the CN when there are none); "*.x" wildcards kept.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>Where it came from, for log lines: a file path, "acme", "self-signed".</summary>
    public string Origin { get; }

    /// <summary>For metrics: file, acme, acme-stand-in, development, tls-alpn-01.</summary>
    public string Kind { get; }

    public DateTimeOffset NotAfter => Leaf.NotAfter.ToUniversalTime();

    /// <summary>Whether one of <see cref="Names"/> is <paramref name="host"/> itself (a wildcard entry only as written).</summary>
    public bool Named(string host)
    {
        foreach (var name in _names)
        {
            if (string.Equals(name, host, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether one of <see cref="Names"/> matches <paramref name="host"/>, wildcards included.</summary>
    public bool Covers(string host)
    {
        foreach (var name in _names)
        {
            if (HostMatches(name, host))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>RFC 6125 §6.4.3: a "*." wildcard stands for exactly one left-most label.</summary>
    public static bool HostMatches(string pattern, string host)
    {
        if (pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            var dot = host.IndexOf('.', StringComparison.Ordinal);
            return dot > 0 && host.AsSpan(dot).Equals(pattern.AsSpan(1), StringComparison.OrdinalIgnoreCase);
        }

        return string.Equals(pattern, host, StringComparison.OrdinalIgnoreCase);
    }

    private static string[] DnsNames(X509Certificate2 cert)
    {
        var names = new List<string>();
        foreach (var ext in cert.Extensions.OfType<X509SubjectAlternativeNameExtension>())
        {
            names.AddRange(ext.EnumerateDnsNames().Select(n => n.ToLowerInvariant()));
        }

        if (names.Count == 0 && cert.GetNameInfo(X509NameType.DnsName, forIssuer: false) is { Length: > 0 } cn)
        {
            names.Add(cn.ToLowerInvariant());
        }

        return [.. names.Distinct()];
    }
}
