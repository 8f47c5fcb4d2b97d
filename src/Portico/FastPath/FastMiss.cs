using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portico.Caching;
using Portico.Compression;
using Portico.Configuration.Model;
using Portico.Forwarding;

namespace Portico.FastPath;

/// <summary>
/// A cache miss the fast path forwards, done as the cache stage does it (<see cref="CacheMiddleware"/>,
/// <see cref="CacheForwarder"/>): the request read into the same <see cref="CacheRequest"/>,
/// collapsed with identical misses (as the flight's leader, or as a follower that waits for
/// the leader's head), the response's storability judged from its head by the same
/// <see cref="StoredResponses.Head"/> and <see cref="ForwardedResponses"/>, its `Cache-Status`
/// and tag field as the full path writes them, its body recorded while it is relayed and stored
/// once it is through. The request goes to the backend unchanged: on a miss the cache stage
/// adds and strips no field.
/// </summary>
internal sealed class FastMiss : IBufferWriter<byte>
{
    private readonly FastMisses _services;
    private readonly DefaultHttpContext _context;
    private readonly string _reason;
    private readonly byte[] _tagField;
    private CacheFlight? _flight;
    private CacheEntry? _head;
    private FlightBody? _body;
    private (CacheEntry Head, FlightBody Body)? _shared;
    private DateTimeOffset _requestTime;
    private DateTimeOffset _responseTime;
    private byte[] _scratch = [];
    private bool _counted;
    private CacheOutcome _outcome = CacheOutcome.Miss;

    private FastMiss(FastMisses services, DefaultHttpContext context, CacheRequest request, string reason)
    {
        _services = services;
        _context = context;
        Request = request;
        _reason = reason;
        _tagField = Encoding.ASCII.GetBytes(request.Store.TagField);
    }

    public CacheRequest Request { get; }

    /// <summary>The access log's `cache` value: a forwarded miss, or a follower answered from its leader's response.</summary>
    public string Outcome => CacheOutcomes.Name(_outcome);

    /// <summary>Where the chunked relay puts the body's data (without its framing) while it is recorded; null when it is not.</summary>
    public IBufferWriter<byte>? Recording => _body is null ? null : this;

    /// <summary>
    /// The miss as the cache stage reads it, from the head's method, target, Host and fields;
    /// null when its key is not <paramref name="key"/>, the one the lookup used (then the full
    /// path decides).
    /// </summary>
    public static FastMiss? For(FastMisses services, FastConnection state, RouteSettings route, string key, string reason)
    {
        var head = state.Head;
        var target = Encoding.ASCII.GetString(head[head.Target]);
        var path = Encoding.ASCII.GetString(head[head.Path]);
        if (!path.StartsWith('/'))
        {
            return null;
        }

        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = head.IsHead ? HttpMethods.Head : HttpMethods.Get;
        request.Scheme = state.Scheme;
        request.Path = new PathString(path);
        request.QueryString = new QueryString(target.Length > path.Length ? target[path.Length..] : null);
        // The Host is the head's Host field, as Kestrel's request reads it.
        HeadDictionary.Request(request.Headers, head);
        var cacheRequest = CacheRequest.For(context, route, services.Settings.Cache);
        return cacheRequest.Key == key ? new FastMiss(services, context, cacheRequest, reason) : null;
    }

    /// <summary>
    /// The cache stage's part before the request is sent (<see cref="JoinAsync"/>): null when the
    /// request is to be forwarded (this miss now the connection's <see cref="FastConnection.Miss"/>),
    /// else how a follower answered from its leader's response, or left by its client, ended.
    /// </summary>
    public async ValueTask<FastOutcome?> FollowAsync(FastConnection state, FastRoutes.Entry entry, string requestId, long start, FastRecorder recorder, PipeWriter output)
    {
        state.Miss = this;

        // In progress while it waits for a leader, as the full path counts a collapsed request.
        recorder.Metrics.RequestStarted();
        (CacheEntry Head, FlightBody.Reader Body)? shared;
        try
        {
            shared = await JoinAsync(state);
        }
        catch (OperationCanceledException)
        {
            recorder.Metrics.RequestNotServed();
            FastForwarder.Landed(state);
            return FastOutcome.Close;
        }

        if (shared is not { } collapsed)
        {
            // The forwarder counts it again from here.
            recorder.Metrics.RequestNotServed();
            return null;
        }

        try
        {
            return await FastFollower.AnswerAsync(state, entry, collapsed, Age(collapsed.Head), requestId, start, recorder, output);
        }
        finally
        {
            collapsed.Body.Dispose();
            FastForwarder.Landed(state);
        }
    }

    /// <summary>
    /// Before the request is sent (after the rate limit, as the cache stage runs after it): the
    /// flight joined as the cache stage joins it. A leader flies it; a follower waits for the
    /// leader's head as the full path's does, and forwards itself when it gets nothing to share
    /// (a response not stored: every `no-store` miss) or a body it cannot follow from the start
    /// (<see cref="FlightBody.Follow"/>). Returns the leader's shared head and a reader of its body
    /// when this request is to be answered from it (<see cref="FastFollower"/>), null to forward it.
    /// A client that leaves while it waits ends the wait (OperationCanceledException), as its
    /// RequestAborted does on the full path: nothing is sent for it.
    /// </summary>
    private async ValueTask<(CacheEntry Head, FlightBody.Reader Body)?> JoinAsync(FastConnection state)
    {
        var request = Request;
        // What Portico's own 502 or 504 carries on a miss, as the cache stage marks every response it forwards.
        state.Fields.SetCacheStatus(CacheStatus.Forward(_reason));
        var collapsible = request.Settings.Collapse && HttpMethods.IsGet(_context.Request.Method) && !request.Conditional
            && !request.Authorized && !request.Directives.NoStore && !request.NoCache;
        if (collapsible)
        {
            var flight = _services.Flights.Join(request.FlightKey, out var leader);
            if (leader)
            {
                _flight = flight;
            }
            else if (await flight.WaitAsync(request.Store.CollapseTimeout, state.Closed) is { } shared
                && VaryKeys.Matches(shared.Head, _context.Request.Headers, request.AcceptEncoding)
                && shared.Body.Follow() is { } reader)
            {
                _outcome = CacheOutcome.Collapsed;
                state.Fields.SetCacheStatus(CacheStatus.Forward(_reason, collapsed: true));
                return (shared.Head, reader);
            }
        }

        _requestTime = _services.Time.GetUtcNow();
        return null;
    }

    /// <summary>
    /// At the backend's response head (<paramref name="head"/>, as the client's is written from
    /// it), before anything is sent: the cache stage's decision, from the response as the full
    /// path's cache stage sees it (YARP's copy, the hidden fields gone, and on a route that
    /// compresses, the head as the compression stage inside the cache leaves it): the tag field
    /// taken, the entry judged, `Cache-Status` set in the request's fields. What followers get is
    /// shared by <see cref="Started"/>, once the head is known to be well-formed.
    /// </summary>
    /// <param name="coding">Compression's verdict on the head as the relay read it from its bytes (FastCodingHead): what the body recorded will be.</param>
    public void Decide(FastConnection state, ReadOnlySpan<byte> head, int status, IReadOnlyList<string> hidden, EncodingVerdict coding)
    {
        _responseTime = _services.Time.GetUtcNow();
        var response = _context.Response;
        response.StatusCode = status;
        var connection = new List<string>();
        if (!HeadDictionary.Response(response.Headers, head, connection))
        {
            return;
        }

        HiddenHeaders.Remove(response.Headers, status, hidden, connection);

        // The stored variant is what compression made of the response, judged here from the
        // header dictionary as the full path's stage judges it. Should that verdict differ from
        // the one the relay encodes by, the body recorded would not be the variant this head
        // describes: nothing is stored.
        var encodable = state.Fields.Compression is not { } compression
            || ResponseEncoding.Encode(response, compression, state.Fields.Coding) == coding;
        var tags = CacheTags.Take(response.Headers, Request.Store.TagField);
        state.Fields.Remove(_tagField);
        _head = encodable && StoredResponses.Head(_context, Request, _requestTime, _responseTime) is { } stored ? stored with { Tags = tags } : null;
        (_body, var disk, var cacheStatus, _shared) = ForwardedResponses.Begin(_services.Store, Request, _head, response.ContentLength, fills: false, _reason, fwdStatus: null);

        // A disk tier keeps a route's misses on the full path (CacheStage); one added by a reload
        // since this request was routed gets no copy from here (its writes are asynchronous).
        disk?.Abandon();
        disk?.Dispose();
        state.Fields.SetCacheStatus(cacheStatus);
    }

    /// <summary>The client's head is being sent: the flight's followers get what <see cref="Decide"/> found shareable.</summary>
    public void Started() => _flight?.Share(_shared);

    /// <summary>The backend's head was malformed and Portico answers 502 instead: nothing is recorded or shared, as for the full path's own 502.</summary>
    public void Refused(FastConnection state)
    {
        _body?.Fail();
        _body = null;
        _head = null;
        _flight?.Share(null);
        state.Fields.SetCacheStatus(CacheStatus.Forward(_reason));
    }

    /// <summary>
    /// Whether this is a flight's leader whose body is recorded and anyone needs the rest (the
    /// store, or a follower): the relay then goes on fetching it when the client leaves
    /// (<see cref="FlightBody.Needed"/>), as the full path's <see cref="FlightFetch"/> does.
    /// </summary>
    public bool Needed => _flight is not null && _body is { Needed: true };

    /// <summary>Body bytes as relayed, for a length- or close-delimited body.</summary>
    public void Append(ReadOnlySpan<byte> data) => _body?.Append(data);

    /// <summary>
    /// The relay is over: a recorded body stored when it came whole and the client took it all
    /// (a cut-off body, one past the object size cap or an aborted exchange stores nothing), a
    /// HEAD's 200 freshening the stored GET responses (§4.3.5).
    /// </summary>
    public async ValueTask CompleteAsync(bool whole)
    {
        if (_body is not null)
        {
            await ForwardedResponses.FinishAsync(_services.Store, _services.Partials, Request, _head!, _body, disk: null, aborted: !whole, collect: false, beforeStore: null);
        }
        else if (whole && HttpMethods.IsHead(_context.Request.Method) && _context.Response.StatusCode == StatusCodes.Status200OK)
        {
            await ForwardedResponses.FreshenAsync(_services.Store, _context, Request, _requestTime, _responseTime);
        }
    }

    /// <summary>A stored response's age now (RFC 9111 §4.2.3), by the cache's clock.</summary>
    public TimeSpan Age(CacheEntry entry) => Freshness.Age(entry, _services.Time.GetUtcNow());

    /// <summary>The miss counted in the cache metric, once, as the request finishes.</summary>
    public void Count()
    {
        if (!_counted)
        {
            _counted = true;
            _services.Metrics.Request(Request.RouteId, _outcome);
        }
    }

    /// <summary>The request is done with (answered or handed over): followers still waiting learn there is nothing to share.</summary>
    public void Land()
    {
        // A body not completed by now never will be: followers reading it give up, as on the full path.
        if (_body is { Completed: false } body)
        {
            body.Fail();
        }

        if (_flight is { } flight)
        {
            _flight = null;
            _services.Flights.Land(Request.FlightKey, flight);
        }
    }

    Memory<byte> IBufferWriter<byte>.GetMemory(int sizeHint) => Scratch(sizeHint);

    Span<byte> IBufferWriter<byte>.GetSpan(int sizeHint) => Scratch(sizeHint).Span;

    void IBufferWriter<byte>.Advance(int count) => _body?.Append(_scratch.AsSpan(0, count));

    private Memory<byte> Scratch(int sizeHint)
    {
        if (_scratch.Length < Math.Max(sizeHint, 1))
        {
            _scratch = new byte[Math.Max(sizeHint, 16 * 1024)];
        }

        return _scratch;
    }
}
