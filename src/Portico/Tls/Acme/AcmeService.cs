using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Portico.Configuration;
using Portico.Configuration.Model;

namespace Portico.Tls.Acme;

/// <summary>
/// Keeps a certificate for every `tls.acme` host: loads stored ones at start, orders missing
/// ones, renews those within `renewBefore`, and after a failure waits `retryBackoff`, doubling
/// per failure up to `maxRetryBackoff`. It never stops a listener: until a host has a
/// certificate, <see cref="AcmeCertificates"/> serves a self-signed stand-in for it.
/// With a `redis` section the instances sharing it order once: an instance orders only while
/// holding the host's lock in Redis; the others wait for the certificate it shares (told on a
/// channel, and looked for every third of `lockTtl` should the message be missed). Redis not
/// answering means ordering alone, as without a section: a duplicate order costs less than an
/// expired certificate.
/// </summary>
internal sealed class AcmeService(ActiveConfig config, AcmeCertificates certificates, AcmeChallenges challenges, AcmeShare share, TimeProvider time, AcmeLog log, TlsMetrics metrics)
    : BackgroundService
{
    /// <summary>How often a host with a good certificate is looked at again.</summary>
    private static readonly TimeSpan CheckInterval = TimeSpan.FromHours(12);
    private readonly ConcurrentQueue<string> _announced = new();
    private readonly SemaphoreSlim _wake = new(0);
    private string? _accountPem;
    private AcmeJws? _account;
    private AcmeClient? _client;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = config.Current.Settings;
        var hosts = settings.Listeners.SelectMany(l => l.Tls?.AcmeHosts ?? []).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        if (settings.Acme is not { } acme || hosts.Length == 0)
        {
            return;
        }

        var storage = new AcmeStorage(acme.StoragePath);
        var shared = new AcmeSharedCertificates(share, storage, certificates, log);
        using var http = AcmeHttp(acme);
        var states = hosts.ToDictionary(h => h, h => new HostState(), StringComparer.OrdinalIgnoreCase);
        foreach (var host in hosts)
        {
            LoadStored(storage, host);
        }

        using var announcements = share.OnIssued(host =>
        {
            _announced.Enqueue(host);
            _wake.Release();
        });
        if (share.Enabled)
        {
            await share.ReadyAsync(stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            while (_announced.TryDequeue(out var announced))
            {
                if (states.TryGetValue(announced, out var woken))
                {
                    woken.Due = DateTimeOffset.MinValue;
                }
            }

            foreach (var (host, state) in states.Where(s => s.Value.Due <= time.GetUtcNow()))
            {
                // After a failure the next attempt starts afresh: directory, account and nonce.
                if (!await RunAsync(storage, shared, http, acme, host, state, stoppingToken))
                {
                    _client = null;
                }
            }

            var wait = states.Values.Min(s => s.Due) - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                await Task.WhenAny(Task.Delay(wait, time, waiting.Token), _wake.WaitAsync(waiting.Token));
                await waiting.CancelAsync();
            }
        }

        _account?.Dispose();
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    /// <summary>Renews or orders the host's certificate when due; false when an attempt failed.</summary>
    private async Task<bool> RunAsync(AcmeStorage storage, AcmeSharedCertificates shared, HttpClient http, AcmeSettings acme, string host, HostState state, CancellationToken cancel)
    {
        if (share.Enabled)
        {
            await shared.SyncAsync(host);
        }

        if (Good(acme, host, state))
        {
            return true;
        }

        AcmeLock? held = null;
        if (share.Enabled)
        {
            var attempt = await share.TryLockAsync(host, acme.LockTtl);
            if (attempt.Token is { } token)
            {
                held = new AcmeLock(share, host, token, acme.LockTtl, time, log);
                log.Locked(host, share.Instance);
                // The holder before may have shared its certificate just before letting go.
                await shared.SyncAsync(host);
                if (Good(acme, host, state))
                {
                    await held.DisposeAsync();
                    return true;
                }
            }
            else if (attempt.Answered)
            {
                if (state.Holder != attempt.Holder)
                {
                    log.Waiting(host, attempt.Holder!);
                }

                state.Holder = attempt.Holder;
                state.Due = time.GetUtcNow() + acme.LockTtl / 3;
                certificates.Report(host, state.Due, state.Failures, null, attempt.Holder);
                return true;
            }
            else
            {
                log.OrderingAlone(host);
            }
        }

        state.Holder = null;
        try
        {
            return await OrderAsync(storage, shared, http, acme, host, state, held is null ? null : share.Instance, cancel);
        }
        finally
        {
            if (held is not null)
            {
                await held.DisposeAsync();
            }
        }
    }

    /// <summary>Whether the host's certificate is good for now; if so its next look is scheduled.</summary>
    private bool Good(AcmeSettings acme, string host, HostState state)
    {
        var current = certificates.Issued(host);
        var now = time.GetUtcNow();
        if (current is not null && current.NotAfter - now > acme.RenewBefore)
        {
            state.Holder = null;
            state.Due = Min(current.NotAfter - acme.RenewBefore, now + CheckInterval);
            certificates.Report(host, state.Due, state.Failures, null);
            return true;
        }

        return false;
    }

    private async Task<bool> OrderAsync(AcmeStorage storage, AcmeSharedCertificates shared, HttpClient http, AcmeSettings acme, string host, HostState state, string? holder, CancellationToken cancel)
    {
        if (certificates.Issued(host) is { } current)
        {
            log.Renewing(host, current.NotAfter, acme.RenewBefore);
        }

        certificates.Report(host, state.Due, state.Failures, null, holder);
        try
        {
            var (chain, key) = await (await ClientAsync(shared, http, acme)).IssueAsync(host, acme.Email, cancel);
            string keyPem;
            using (key)
            {
                keyPem = key.ExportPkcs8PrivateKeyPem();
            }

            storage.Save(host, chain, keyPem);
            var issued = new ServerCertificate(storage.Load(host)!, "ACME certificate " + storage.CertificatePath(host), "acme");
            certificates.Set(host, issued);
            metrics.Ordered(issued: true);
            log.Issued(host, acme.Directory.ToString(), issued.NotAfter, storage.CertificatePath(host));
            if (share.Enabled && !await share.PublishAsync(host, new SharedCertificate(chain, keyPem), onlyIfNone: false))
            {
                log.NotShared(host);
            }

            state.Failures = 0;
            var now = time.GetUtcNow();
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

    /// <summary>
    /// The client for the current account key, made again when the key changed (another
    /// instance's became the shared one). Made inside the retried part: an unreadable storage
    /// folder is a failure to retry, not a crash.
    /// </summary>
    private async ValueTask<AcmeClient> ClientAsync(AcmeSharedCertificates shared, HttpClient http, AcmeSettings acme)
    {
        var pem = await shared.AccountAsync();
        if (pem != _accountPem || _account is null)
        {
            var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            key.ImportFromPem(pem);
            _account?.Dispose();
            _account = new AcmeJws(key);
            _accountPem = pem;
            _client = null;
        }

        return _client ??= new AcmeClient(http, acme.Directory, _account, acme.Challenge, challenges, time, log);
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

        /// <summary>The other instance last seen holding the order lock, so waiting is logged once per holder.</summary>
        public string? Holder { get; set; }
    }
}
