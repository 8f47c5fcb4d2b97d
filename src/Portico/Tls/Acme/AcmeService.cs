using Microsoft.Extensions.Hosting;
using Portico.Configuration;
using Portico.Configuration.Model;

namespace Portico.Tls.Acme;

/// <summary>
/// Keeps a certificate for every `tls.acme` host: loads stored ones at start, orders missing
/// ones, renews those within `renewBefore`, and after a failure waits `retryBackoff`, doubling
/// per failure up to `maxRetryBackoff`. It never stops a listener: until a host has a
/// certificate, <see cref="AcmeCertificates"/> serves a self-signed stand-in for it.
/// </summary>
internal sealed class AcmeService(ActiveConfig config, AcmeCertificates certificates, AcmeChallenges challenges, TimeProvider time, AcmeLog log, TlsMetrics metrics)
    : BackgroundService
{
    /// <summary>How often a host with a good certificate is looked at again.</summary>
    private static readonly TimeSpan CheckInterval = TimeSpan.FromHours(12);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = config.Current.Settings;
        var hosts = settings.Listeners.SelectMany(l => l.Tls?.AcmeHosts ?? []).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        if (settings.Acme is not { } acme || hosts.Length == 0)
        {
            return;
        }

        var storage = new AcmeStorage(acme.StoragePath);
        using var http = AcmeHttp(acme);
        AcmeJws? account = null;
        AcmeClient? client = null;
        var states = hosts.ToDictionary(h => h, h => new HostState(), StringComparer.OrdinalIgnoreCase);
        foreach (var host in hosts)
        {
            LoadStored(storage, host);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            foreach (var (host, state) in states.Where(s => s.Value.Due <= time.GetUtcNow()))
            {
                var issued = await RunAsync(() =>
                {
                    // Made on first use, inside the retried part: an unreadable storage folder is a failure to retry, not a crash.
                    account ??= new AcmeJws(storage.AccountKey());
                    return client ??= new AcmeClient(http, acme.Directory, account, acme.Challenge, challenges, time, log);
                }, storage, acme, host, state, stoppingToken);

                // After a failure the next attempt starts afresh: directory, account and nonce.
                client = issued ? client : null;
            }

            var wait = states.Values.Min(s => s.Due) - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }

        account?.Dispose();
    }

    /// <summary>Renews or orders the host's certificate when due; false when an attempt failed.</summary>
    private async Task<bool> RunAsync(Func<AcmeClient> client, AcmeStorage storage, AcmeSettings acme, string host, HostState state, CancellationToken cancel)
    {
        var current = certificates.Issued(host);
        var now = time.GetUtcNow();
        if (current is not null && current.NotAfter - now > acme.RenewBefore)
        {
            state.Due = Min(current.NotAfter - acme.RenewBefore, now + CheckInterval);
            certificates.Report(host, state.Due, state.Failures, null);
            return true;
        }

        if (current is not null)
        {
            log.Renewing(host, current.NotAfter, acme.RenewBefore);
        }

        try
        {
            var (chain, key) = await client().IssueAsync(host, acme.Email, cancel);
            using (key)
            {
                storage.Save(host, chain, key);
            }

            var issued = new ServerCertificate(storage.Load(host)!, "ACME certificate " + storage.CertificatePath(host), "acme");
            certificates.Set(host, issued);
            metrics.Ordered(issued: true);
            log.Issued(host, acme.Directory.ToString(), issued.NotAfter, storage.CertificatePath(host));
            state.Failures = 0;
            now = time.GetUtcNow();
            state.Due = Min(issued.NotAfter - acme.RenewBefore, now + CheckInterval);
            if (state.Due <= now)
            {
                state.Due = now + CheckInterval;
                log.RenewBeforeTooLong(host, acme.RenewBefore, CheckInterval);
            }

            certificates.Report(host, state.Due, 0, null);
            return true;
        }
        catch (Exception ex) when (!cancel.IsCancellationRequested)
        {
            // Whatever went wrong (the CA, the network, the disk, a malformed answer), serving
            // goes on with what is there, and the host is tried again later.
            state.Failures++;
            metrics.Ordered(issued: false);
            var delay = acme.RetryBackoff * Math.Pow(2, Math.Min(state.Failures - 1, 30));
            delay = delay > acme.MaxRetryBackoff ? acme.MaxRetryBackoff : delay;
            state.Due = time.GetUtcNow() + delay;
            certificates.Report(host, state.Due, state.Failures, ex.Message);
            log.Failed(host, state.Failures, ex.Message, delay, certificates.Get(host).Origin);
            return false;
        }
    }

    private void LoadStored(AcmeStorage storage, string host)
    {
        try
        {
            if (storage.Load(host) is { } stored)
            {
                var certificate = new ServerCertificate(stored, "ACME certificate " + storage.CertificatePath(host), "acme");
                certificates.Set(host, certificate);
                log.Loaded(host, storage.CertificatePath(host), certificate.NotAfter);
                return;
            }
        }
        catch (CertificateFileException ex)
        {
            log.StoredUnusable(host, $"the file {ex.Message}");
        }

        log.StandIn(host);
    }

    /// <summary>The client toward the ACME server: its HTTPS verified against `acme.ca` when given.</summary>
    private static HttpClient AcmeHttp(AcmeSettings acme)
    {
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(15) };
        if (acme.CaPath is not null)
        {
            BackendTls.Configure(handler, "acme", new BackendTlsSettings { CaPath = acme.CaPath }, null);
        }

        var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("Portico-ACME/1");
        return http;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private sealed class HostState
    {
        public DateTimeOffset Due { get; set; } = DateTimeOffset.MinValue;

        public int Failures { get; set; }
    }
}
