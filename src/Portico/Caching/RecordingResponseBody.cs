using Microsoft.AspNetCore.Http.Features;
using Portico.Compression;

namespace Portico.Caching;

/// <summary>What the cache does with a forwarded response, decided when it starts.</summary>
internal enum RecordMode
{
    /// <summary>To the client only.</summary>
    Pass,

    /// <summary>To the client and into a <see cref="FlightBody"/> for the store and collapsed requests.</summary>
    Record,

    /// <summary>Not to the client: a 304 to our revalidation, or an error a stale entry will answer.</summary>
    Swallow,
}

/// <summary>The response body while the cache forwards: the decision callback runs once, at start.</summary>
internal sealed class RecordingResponseBody(IHttpResponseBodyFeature inner, Func<(RecordMode Mode, FlightBody? Body)> decide) : DeferredResponseBody(inner)
{
    protected override Stream OnStart()
    {
        var (mode, body) = decide();
        return mode switch
        {
            RecordMode.Swallow => Null,
            RecordMode.Record => new Tee(Inner.Stream, body!),
            _ => Inner.Stream,
        };
    }

    private sealed class Tee(Stream client, FlightBody body) : WriteOnlyStream
    {
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            client.Write(buffer);
            body.Append(buffer);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await client.WriteAsync(buffer, cancellationToken);
            body.Append(buffer.Span);
        }

        public override void Flush() => client.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => client.FlushAsync(cancellationToken);
    }
}
