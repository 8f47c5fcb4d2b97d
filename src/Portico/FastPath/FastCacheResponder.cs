using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Portico.Caching;
using Portico.Configuration.Model;
using Portico.Observability;

namespace Portico.FastPath;

/// <summary>
/// A cached route's request on the fast path: a fresh hit answered (see <see cref="FastCache"/>);
/// where the route's misses take the fast path too, a miss forwarded as the cache stage forwards
/// it (<see cref="FastMiss"/>); anything else is the full path's.
/// </summary>
internal sealed class FastCacheResponder(FastCache cache, FastRecorder recorder, FastRateLimit limits, FastLocalAnswer local, FastForwarder forwarder, FastMisses misses)
{
    /// <summary>
    /// A fresh hit, answered as the cache stage would (see <see cref="FastCache"/>); with
    /// <paramref name="forwardMisses"/> (HTTP/1.1, on a route whose forwarding the fast path
    /// honours), a miss forwarded; anything else is handed over.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<FastOutcome> AnswerAsync(FastConnection state, FastRoutes.Entry entry, PipeWriter output, UnderscoreHeaderPolicy? forwardMisses = null)
    {
        var route = entry.Route;
        var start = recorder.Now();
        var head = state.Head;
        var takesMisses = forwardMisses is not null && !entry.CacheHitsOnly;
        var lookup = await cache.LookupAsync(head, state.Scheme, route, takesMisses);
        if (lookup is { MissKey: { } key, MissReason: { } reason } && FastMiss.For(misses, state, route, key, reason) is { } miss)
        {
            return await forwarder.ForwardAsync(state, entry, forwardMisses.GetValueOrDefault(), output, miss);
        }

        if (lookup.Hit is not { } found)
        {
            state.CacheHandedOver = true;
            return FastOutcome.HandOver;
        }

        var hit = (Entry: found, lookup.Age, lookup.Ttl);
        var requestId = FastRecorder.ClientRequestId(head) ?? state.NextRequestId();
        recorder.Metrics.RequestStarted();
        state.Fields.Render(null, entry.ResponseRules, new FastTemplateValues(state, route, requestId, recorder));

        // The rate limit runs before the cache stage, so a refused request is no hit. It is
        // counted only here, once the fast path answers: a request handed over goes uncounted.
        if (route.RateLimit is { } limit && !await limits.AdmitAsync(state, limit))
        {
            return await local.RefuseAsync(state, entry, requestId, start, 429, LocalReason.RateLimited, $"route '{limit.Name}' rate limit", output);
        }

        cache.Record(route.Id, hit.Entry);
        var stored = cache.Head(hit.Entry);
        var room = stored.Room(requestId, state.Fields);
        int status;
        long bodyBytes;
        bool flushed;
        if (state.Direct is null)
        {
            var (written, headLength, body) = FastCache.WriteHead(hit.Entry, stored, hit.Age, hit.Ttl, head, requestId, state.Fields, output.GetSpan(room));
            output.Advance(headLength);
            output.Write(body.Span);
            (status, bodyBytes) = (written, body.Length);
            flushed = await FastOutput.FlushAsync(output);
        }
        else
        {
            // As a forwarded response's first write (FastRelay): the head staged, sent with the
            // stored body straight to the socket when nothing waits in the pipe.
            var staged = ArrayPool<byte>.Shared.Rent(room);
            try
            {
                var (written, headLength, body) = FastCache.WriteHead(hit.Entry, stored, hit.Age, hit.Ttl, head, requestId, state.Fields, staged);
                (status, bodyBytes) = (written, body.Length);
                flushed = await FastOutput.FlushAsync(state, output, staged, headLength, body);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(staged);
            }
        }

        recorder.Finish(state, entry, null, requestId, start, status, bodyBytes, reason: null, cache: CacheOutcomes.Name(CacheOutcome.Hit));
        return flushed ? FastOutcome.Done : FastOutcome.Close;
    }
}
