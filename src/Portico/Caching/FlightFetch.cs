using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;

namespace Portico.Caching;

/// <summary>
/// The origin fetch of a collapsed miss's leader on the full path, which does not end with the
/// leader's client: as nginx keeps fetching a cacheable response after the client that asked for
/// it left (ngx_http_upstream_check_broken_connection), so the followers get all of it and it is
/// stored. While the stages below the cache run, the request's RequestAborted is the fetch's own
/// token, which YARP's forwarder follows instead of the client's; the client's writes go through
/// here and are dropped once it is gone. The fetch is cancelled when the client is gone and
/// nothing needs the rest (<see cref="Check"/>); the route's timeout still cancels it, and the
/// forwarder's activity timeout still bounds every read from the origin.
/// </summary>
internal sealed class FlightFetch : IDisposable
{
    private readonly HttpContext _context;
    private readonly CancellationToken _client;
    private readonly CancellationTokenSource _fetch;
    private readonly CancellationTokenRegistration _left;
    private FlightBody? _body;
    private DiskBodyWriter? _disk;
    private volatile bool _started;
    private int _ending;
    private bool _disposed;

    public FlightFetch(HttpContext context)
    {
        _context = context;
        _client = context.RequestAborted;
        // The client's token carries the route's timeout too (the timeouts stage links them): the
        // timeout's own token still ends the fetch, the client's leaving alone does not.
        _fetch = context.Features.Get<IHttpRequestTimeoutFeature>()?.RequestTimeoutToken is { CanBeCanceled: true } timeout
            ? CancellationTokenSource.CreateLinkedTokenSource(timeout)
            : new CancellationTokenSource();
        context.RequestAborted = _fetch.Token;
        _left = _client.UnsafeRegister(static fetch => ((FlightFetch)fetch!).Check(), this);
    }

    /// <summary>The leader's client left (its connection closed or reset, its HTTP/2 stream reset).</summary>
    public bool ClientGone => _client.IsCancellationRequested;

    /// <summary>The response starts: what records it (nothing when it is not stored).</summary>
    public void Started(FlightBody? body, DiskBodyWriter? disk)
    {
        (_body, _disk) = (body, disk);
        _started = true;
        Check();
    }

    /// <summary>
    /// Ends the fetch once the client is gone and nobody needs what comes: the response is not
    /// stored, or its body passed the memory cap with no follower left and no disk copy. Before
    /// the response's head, whether it will be stored is not known yet, and followers may wait
    /// for it: the fetch goes on. Called when the client leaves and after each piece of the body.
    /// </summary>
    public void Check()
    {
        if (_started && ClientGone && !(_body is { Needed: true } || _disk is { Failed: false }) && Interlocked.Exchange(ref _ending, 1) == 0)
        {
            // Cancelled from the thread pool, as Kestrel cancels the client's own token: it then
            // finds the forwarder waiting on the origin, and a read cancelled in flight closes the
            // origin connection, where a read begun after the cancel would have .NET's client
            // read up to 1 MiB more of the response (to keep the connection) for nobody.
            ThreadPool.UnsafeQueueUserWorkItem(static fetch => fetch.End(), this, preferLocal: false);
        }
    }

    /// <summary>A write to the client, dropped once it is gone; a write that fails ends the client's exchange, not the fetch.</summary>
    public async ValueTask WriteAsync(Stream client, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        if (ClientGone)
        {
            return;
        }

        try
        {
            await client.WriteAsync(buffer, cancellationToken);
        }
        catch (Exception e) when (ClientFailed(e, cancellationToken))
        {
            _context.Abort();
        }
    }

    /// <summary>A flush to the client, as <see cref="WriteAsync"/>.</summary>
    public async Task FlushAsync(Stream client, CancellationToken cancellationToken)
    {
        if (ClientGone)
        {
            return;
        }

        try
        {
            await client.FlushAsync(cancellationToken);
        }
        catch (Exception e) when (ClientFailed(e, cancellationToken))
        {
            _context.Abort();
        }
    }

    /// <summary>A write or flush to the client failed because the client is gone, not because the fetch was cancelled.</summary>
    private static bool ClientFailed(Exception e, CancellationToken cancellationToken)
        => e is IOException or OperationCanceledException or ObjectDisposedException && !cancellationToken.IsCancellationRequested;

    /// <summary>The client's own token is the request's again.</summary>
    public void Dispose()
    {
        _left.Dispose();
        lock (this)
        {
            _disposed = true;
        }

        _context.RequestAborted = _client;
        _fetch.Dispose();
    }

    private void End()
    {
        lock (this)
        {
            if (!_disposed)
            {
                _fetch.Cancel();
            }
        }
    }
}
