using Microsoft.AspNetCore.Http;

namespace Portico.Caching;

/// <summary>
/// What the cache does with a forwarded response once its head is known, written once for the
/// full path's <see cref="CacheForwarder"/> and the fast path's misses: whether its body is
/// recorded (and shared with collapsed requests) and what `Cache-Status` says; then, once the
/// body is through, the entry stored; and a HEAD's 200 freshening the stored GET responses.
/// </summary>
internal static class ForwardedResponses
{
    /// <summary>
    /// Decides at the response's head: a storable <paramref name="head"/> whose declared length
    /// fits is recorded into a <see cref="FlightBody"/> (the memory tier's cap; past it the copy
    /// fails and nothing is stored) and a disk tier's writer, and shared with the flight's
    /// followers when memory can hold it; anything else is passed on, and the followers go to
    /// the origin themselves. Returns the body to record (null: pass), the disk writer, the
    /// `Cache-Status` value, and what the flight's followers are given (the caller shares it
    /// once the head is sure to be sent).
    /// </summary>
    /// <param name="fills">The response is the part asked for to fill a stored partial entry: collected whatever its length.</param>
    public static (FlightBody? Body, DiskBodyWriter? Disk, string CacheStatus, (CacheEntry Head, FlightBody Body)? Shared) Begin(
        ICacheStore store, CacheRequest request, CacheEntry? head, long? contentLength, bool fills, string reason, int? fwdStatus)
    {
        if (head is not null && (fills || !(contentLength > store.MaxObjectSizeBytes)))
        {
            // A body too large for memory may still go to a tier on disk; collapsed requests
            // then go to the origin themselves, as they cannot be fed from memory (nor from a part).
            var fitsMemory = !(contentLength > request.Store.MaxObjectSizeBytes);
            var disk = store.BeginBody();
            if (fitsMemory || disk is not null || fills)
            {
                var body = new FlightBody(request.Store.MaxObjectSizeBytes);
                return (body, disk, CacheStatus.Forward(reason, fwdStatus, stored: true), fitsMemory && head.Ranges is null ? (head, body) : null);
            }
        }

        return (null, null, CacheStatus.Forward(reason, fwdStatus), null);
    }

    /// <summary>
    /// The recorded response stored once its body is through: nothing when the exchange was
    /// aborted or the body failed (past the cap, cut off), so a broken body never becomes an
    /// entry. A part (§3.3) is prepared against the stored parts first. Returns what was kept
    /// (stored unless <paramref name="collect"/>, whose caller answers from it first).
    /// </summary>
    /// <param name="beforeStore">Run once the response is complete and before it is stored (a POST's invalidation, §4.4), given when its request was sent.</param>
    public static async Task<CacheEntry?> FinishAsync(
        ICacheStore store, PartialStore partials, CacheRequest request, CacheEntry head, FlightBody body, DiskBodyWriter? disk, bool aborted, bool collect, Func<DateTimeOffset, Task>? beforeStore)
    {
        if (aborted)
        {
            body.Fail();
        }

        body.Complete();
        CacheEntry? kept = null;
        try
        {
            var file = disk is null || aborted ? null : await disk.FinishAsync();
            if (body.Whole || file is not null)
            {
                if (beforeStore is not null)
                {
                    await beforeStore(head.RequestTime);
                }

                var entry = head with { Body = body.Whole ? body.ToArray() : default, File = file };
                kept = entry.Ranges is null ? entry : await partials.PrepareAsync(entry, request.Store);
                if (kept is not null && !collect)
                {
                    await store.SetAsync(kept, CancellationToken.None);
                }
            }
        }
        finally
        {
            disk?.Dispose();
        }

        return kept;
    }

    /// <summary>
    /// RFC 9111 §4.3.5: a 200 to HEAD updates each stored GET response this request could have
    /// been answered from, when it describes the same response (<see cref="StoredResponses.DescribesSame"/>);
    /// when one differs, the stored responses for the URL are removed, as out of date. An update
    /// that turns the response into one a shared cache must not keep (`no-store`, `private`) removes
    /// it too, and a HEAD with Authorization only ever removes (§3.5: its fields are not for sharing).
    /// </summary>
    public static async Task FreshenAsync(ICacheStore store, HttpContext context, CacheRequest request, DateTimeOffset requestTime, DateTimeOffset responseTime)
    {
        var response = context.Response;
        var chosen = (await store.GetAsync(request.Key, CancellationToken.None))
            .Where(v => VaryKeys.Matches(v, context.Request.Headers, request.AcceptEncoding)).ToArray();
        if (chosen.Length == 0)
        {
            return;
        }

        var updated = chosen.Select(v => StoredResponses.Updated(v, response, requestTime, responseTime, request.Store.TargetedField)).ToArray();
        if (request.Authorized || !chosen.All(v => StoredResponses.DescribesSame(v, response.Headers))
            || updated.Any(u => u.Directives.Private || (u.Directives.NoStore && !u.Directives.MustUnderstand)))
        {
            await store.RemoveAsync(request.Key, CancellationToken.None);
            return;
        }

        foreach (var entry in updated)
        {
            await store.SetAsync(entry, CancellationToken.None);
        }
    }
}
