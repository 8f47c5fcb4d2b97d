using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Portico.Configuration.Model;
using Portico.Tls.Acme;

namespace Portico.Tls;

/// <summary>
/// The certificates of every HTTPS listener, and the watch on their folders: after any change
/// in a folder and a short quiet period (a cert and its key are often written one after the
/// other), each certificate whose files differ is read again and served to new connections;
/// one that fails to load is logged and the old one stays. Watching the folder rather than the
/// file also catches symbolic-link swaps (Kubernetes secret volumes replace a "..data" link).
/// </summary>
internal sealed class TlsListeners(AcmeCertificates acme, TlsAlpnChallenges alpnChallenges, TimeProvider time, TlsLog log, TlsSessionLog sessionLog, SessionTicketKeys tickets, IServiceProvider services) : IDisposable
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private readonly ConcurrentDictionary<string, ListenerCertificates> _listeners = new(StringComparer.Ordinal);
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly ConcurrentDictionary<CertificateSlot, ITimer> _pending = new();

    // Set first in Dispose: a watcher event or a timer already on its way then does nothing, since
    // the services it reports through (TlsMetrics) may already be torn down with the host.
    private volatile bool _disposed;

    /// <summary>tls-alpn-01 certificates pending validation, served in place of the listener's own on "acme-tls/1" connections.</summary>
    public TlsAlpnChallenges AlpnChallenges => alpnChallenges;

    // Resolved late: the metrics observe these listeners, so they cannot be a constructor argument.
    private TlsMetrics Metrics => services.GetRequiredService<TlsMetrics>();

    public IEnumerable<ListenerCertificates> All => _listeners.Values;

    /// <summary>The keys that protect resumable listeners' session tickets.</summary>
    public SessionTicketKeys Tickets => tickets;

    public ListenerCertificates For(ListenerSettings listener)
        => _listeners.GetOrAdd(listener.Name, _ =>
        {
            var certificates = ListenerCertificates.Create(listener, acme, time, log);
            Watch(certificates.Files);
            return certificates;
        });

    /// <summary>A resumable listener's connection that negotiated a suite outside <see cref="ModernCiphers"/> (see <see cref="NegotiatedCipherCheck"/>).</summary>
    public void CipherRefused(string peer, string listener, System.Net.Security.TlsCipherSuite suite)
    {
        sessionLog.CipherRefused(peer, listener, suite);
        Metrics.CipherRefused(listener);
    }

    private void Watch(IReadOnlyList<CertificateSlot> slots)
    {
        foreach (var folder in slots.SelectMany(s => s.Source.Files).Select(Path.GetDirectoryName).OfType<string>().Distinct())
        {
            try
            {
                var watcher = new FileSystemWatcher(folder) { NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
                var inFolder = slots.Where(s => s.Source.Files.Any(f => Path.GetDirectoryName(f) == folder)).ToArray();
                watcher.Changed += (_, _) => Touched(inFolder);
                watcher.Created += (_, _) => Touched(inFolder);
                watcher.Deleted += (_, _) => Touched(inFolder);
                watcher.Renamed += (_, _) => Touched(inFolder);
                watcher.Error += (_, e) => log.WatchFailed(folder, e.GetException().Message);
                watcher.EnableRaisingEvents = true;
                lock (_watchers)
                {
                    _watchers.Add(watcher);
                }
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
            {
                log.WatchFailed(folder, ex.Message);
            }
        }
    }

    private void Touched(IReadOnlyList<CertificateSlot> slots)
    {
        foreach (var slot in slots)
        {
            if (_disposed)
            {
                return;
            }

            var timer = _pending.GetOrAdd(slot, s => time.CreateTimer(_ => Reload(s), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
            timer.Change(Quiet, Timeout.InfiniteTimeSpan);
        }
    }

    private void Reload(CertificateSlot slot)
    {
        if (_disposed || !slot.Changed)
        {
            return;
        }

        try
        {
            var next = slot.Reload();
            Metrics.Reloaded(applied: true);
            log.Reloaded(next.Origin, string.Join(", ", next.Names), next.NotAfter);
        }
        catch (CertificateFileException ex)
        {
            Metrics.Reloaded(applied: false);
            log.ReloadRefused(slot.Source.ToString(), $"the file {ex.Message}");
        }
        catch (ObjectDisposedException) when (_disposed)
        {
            // The host stopped while this reload ran: nothing is left to serve the certificate to.
        }
    }

    public void Dispose()
    {
        _disposed = true;
        lock (_watchers)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Dispose();
            }
        }

        foreach (var timer in _pending.Values)
        {
            timer.Dispose();
        }
    }
}
