using System.Collections.Concurrent;

namespace Portico.Tls.Acme;

/// <summary>
/// What each ACME host serves now: its issued certificate, or until there is one a self-signed
/// stand-in, so the listener completes handshakes while issuance is pending or failing.
/// </summary>
internal sealed class AcmeCertificates(TimeProvider time)
{
    private static readonly TimeSpan StandInLifetime = TimeSpan.FromDays(7);
    private readonly ConcurrentDictionary<string, ServerCertificate> _issued = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Lazy<ServerCertificate>> _standIns = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, AcmeHostStatus> _status = new(StringComparer.OrdinalIgnoreCase);

    public ServerCertificate Get(string host)
        => _issued.TryGetValue(host, out var issued) ? issued : StandIn(host);

    /// <summary>The issued certificate, if any (not the stand-in).</summary>
    public ServerCertificate? Issued(string host) => _issued.GetValueOrDefault(host);

    public void Set(string host, ServerCertificate certificate) => _issued[host] = certificate;

    /// <summary>What <see cref="AcmeService"/> last reported for the host; null before it looked at it.</summary>
    public AcmeHostStatus? Status(string host) => _status.GetValueOrDefault(host);

    /// <summary>The host was looked at: next attempt at <paramref name="next"/>, after <paramref name="failures"/> failures in a row (the last with <paramref name="error"/>, null after a success); <paramref name="lockHolder"/> holds its order lock.</summary>
    public void Report(string host, DateTimeOffset next, int failures, string? error, string? lockHolder = null)
        => _status.AddOrUpdate(
            host,
            _ => new AcmeHostStatus(next, failures, error, error is null ? null : time.GetUtcNow(), lockHolder),
            (_, old) => error is null
                ? old with { NextAttempt = next, Failures = failures, LockHolder = lockHolder }
                : new AcmeHostStatus(next, failures, error, time.GetUtcNow(), lockHolder));

    private ServerCertificate StandIn(string host)
        => _standIns.GetOrAdd(host, h => new Lazy<ServerCertificate>(() =>
            new ServerCertificate(SelfSignedCertificate.Create([h], StandInLifetime, time), "self-signed stand-in (ACME pending)", "acme-stand-in"))).Value;
}
