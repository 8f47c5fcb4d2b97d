using Microsoft.AspNetCore.Http.Features;
using Portico.Compression;

namespace Portico.Caching;

/// <summary>What the cache does with a forwarded response, decided when it starts.</summary>
internal enum RecordMode
{
    /// <summary>To the client only.</summary>
    Pass,

    /// <summary>To the client and into a <see cref="FlightBody"/> for the store and collapsed requests (and a <see cref="DiskBodyWriter"/> for the disk tier).</summary>
    Record,

    /// <summary>Not to the client: a 304 to our revalidation, or an error a stale entry will answer.</summary>
    Swallow,

    /// <summary>Not to the client but recorded: a part fetched to fill a stored partial entry, whose combination answers the client (RFC 9111 §3.4).</summary>
    Collect,
}

/// <summary>The response body while the cache forwards: the decision callback runs once, at start.</summary>
/// <remarks>
/// The memory copy stops at the memory tier's object size (<see cref="FlightBody"/>); the disk copy
/// goes on to the disk tier's, a write at a time, so a large body never sits in memory whole.
/// A collapsed miss's leader writes to its client through its <see cref="FlightFetch"/>, so
/// that the recording goes on when the client leaves.
/// </remarks>
internal sealed class RecordingResponseBody(IHttpResponseBodyFeature inner, Func<(RecordMode Mode, FlightBody? Body, DiskBodyWriter? Disk)> decide, FlightFetch? fetch = null)
    : DeferredResponseBody(inner)
{
    protected override Stream OnStart()
    {
        var (mode, body, disk) = decide();
        return mode switch
        {
            RecordMode.Swallow => Null,
            RecordMode.Record => new Tee(Inner.Stream, body!, disk, fetch),
            RecordMode.Collect => new Tee(Null, body!, disk, fetch: null),

            // Not recorded: the fetch ends with the client (FlightFetch.Check), as any forward
            // does. A client gone before the response began is not sent it (logged as 499).
            _ when fetch is { ClientGone: true } => Null,
            _ => Inner.Stream,
        };
    }

    private sealed class Tee(Stream client, FlightBody body, DiskBodyWriter? disk, FlightFetch? fetch) : WriteOnlyStream
    {
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (fetch is not { ClientGone: true })
            {
                client.Write(buffer);
            }

            body.Append(buffer);

            // Only where synchronous I/O is allowed: the disk copy is given up rather than wait on the device here.
            disk?.Abandon();
            fetch?.Check();
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await (fetch is null ? client.WriteAsync(buffer, cancellationToken) : fetch.WriteAsync(client, buffer, cancellationToken));
            body.Append(buffer.Span);
            if (disk is not null)
            {
                await disk.WriteAsync(buffer, cancellationToken);
            }

            fetch?.Check();
        }

        public override void Flush()
        {
            if (fetch is not { ClientGone: true })
            {
                client.Flush();
            }
        }

        public override Task FlushAsync(CancellationToken cancellationToken)
            => fetch is null ? client.FlushAsync(cancellationToken) : fetch.FlushAsync(client, cancellationToken);
    }
}
