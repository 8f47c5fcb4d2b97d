namespace Portico.Tls.Acme;

/// <summary>
/// The order lock of one host while this instance holds it: extended every third of its
/// lifetime while the order runs (so a slow CA does not let it lapse under a live holder), and
/// released when disposed. A holder that crashes stops extending it, and it runs out after
/// `acme.lockTtl`. A lost lock (an extension found another token, or Redis away long enough)
/// is logged once; the order goes on, since stopping it half-way helps no one.
/// </summary>
internal sealed class AcmeLock : IAsyncDisposable
{
    private readonly AcmeShare _share;
    private readonly string _host;
    private readonly string _token;
    private readonly TimeSpan _ttl;
    private readonly AcmeLog _log;
    private readonly ITimer _timer;
    private int _lost;

    public AcmeLock(AcmeShare share, string host, string token, TimeSpan ttl, TimeProvider time, AcmeLog log)
    {
        _share = share;
        _host = host;
        _token = token;
        _ttl = ttl;
        _log = log;
        _timer = time.CreateTimer(_ => _ = RenewAsync(), null, ttl / 3, ttl / 3);
    }

    private async Task RenewAsync()
    {
        if (!await _share.RenewAsync(_host, _token, _ttl) && Interlocked.Exchange(ref _lost, 1) == 0)
        {
            _log.LockLost(_host);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync();
        await _share.ReleaseAsync(_host, _token);
    }
}
