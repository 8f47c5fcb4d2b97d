using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Portico.Compression;
using Portico.Configuration.Model;
using Portico.Forwarding;
using Portico.Health;
using Portico.Observability;
using Yarp.ReverseProxy.Model;

namespace Portico.FastPath;

/// <summary>
/// A backend's response relayed to the client: its head rewritten as the full path's response
/// transforms would (see <see cref="ResponseFraming"/>), its body copied as it comes, framed as the
/// backend framed it, or, when the route's compression encodes it, de-chunked, encoded
/// (<see cref="FastEncoder"/>) and sent chunked; then the backend connection back to the pool and
/// the destination judged.
/// </summary>
internal sealed class FastRelay(FastRecorder recorder, FastLocalAnswer local, PassiveHealthPolicy? passive, DestinationStats destinations, ForwardingLog log, CompressionMetrics compression)
{
    // A body is relayed in reads of up to this size (loopback and LAN sockets deliver 64 KiB at
    // once); 8 KiB reads cost twice the CPU of nginx per 100 KiB response in bench (b).
    private const int BodyChunk = 64 * 1024;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<FastOutcome> RelayAsync(
        FastConnection state, FastRoutes.Entry entry, ClusterState cluster, DestinationState destination, string address, BackendConnection backend,
        ResponseHead read, string requestId, long start, PorticoSettings settings, PipeWriter output, FastMiss? miss = null)
    {
        var head = state.Head;
        var buffer = backend.Buffer;
        // A prefix rewrite's Location and Set-Cookie turned back, as the full path's response transform does.
        var mapped = FastRewrite.Applies(entry.Route) ? FastRewrite.MapBack(buffer.AsSpan(0, read.HeadLength), FastRewrite.Mapping(head, state.Scheme, entry.Route, destination.Model.Config.Address)) : null;
        var backendHead = mapped is null ? buffer.AsMemory(0, read.HeadLength) : mapped;
        var framing = ResponseFraming.Read(backendHead.Span, read.Status, head.IsHead, head.Close, settings.Proxy.HideResponseHeaders, state.Fields, head.Http10);
        if (framing.Mode == BodyMode.Invalid)
        {
            // Nothing was written to the client; the backend's answer is unusable.
            miss?.Refused(state);
            backend.Dispose();
            return await local.AnswerAsync(state, entry, cluster, destination, address, requestId, start, 502, output);
        }

        // A cache miss is judged from the head as the cache stage sees it (the prefix mapped back
        // already, compression's changes made); its Cache-Status goes into the head written below.
        miss?.Decide(state, backendHead.Span, read.Status, settings.Proxy.HideResponseHeaders, framing.Coding);
        var room = ResponseFraming.Room(mapped?.Length ?? read.HeadLength, requestId, state.Fields);

        // On Portico's transport the response's first write (its head and the body bytes that
        // came with it) is staged in an array and sent straight to the socket when nothing waits
        // in the output pipe (LoopConnection.TrySendNow); elsewhere it goes into the pipe.
        // A body de-chunked for an HTTP/1.0 client is written into the pipe as it is scanned.
        framing = framing.EndsEmpty(buffer.AsSpan(read.HeadLength, read.Filled - read.HeadLength), head.Close);
        var dechunk = framing.Dechunked && framing.Mode == BodyMode.Chunked;
        var staged = state.Direct is null || dechunk ? null : ArrayPool<byte>.Shared.Rent(room + read.Filled - read.HeadLength);
        var stagedLength = 0;
        if (staged is null)
        {
            framing = framing.Write(backendHead.Span, head.IsHead, requestId, settings.Proxy.HideResponseHeaders, state.Fields, output.GetSpan(room));
            output.Advance(framing.HeadBytes);
        }
        else
        {
            framing = framing.Write(backendHead.Span, head.IsHead, requestId, settings.Proxy.HideResponseHeaders, state.Fields, staged);
            stagedLength = framing.HeadBytes;
        }

        // A body that is encoded is read into the encoder's buffer, not the client's output, and
        // each read's encoded bytes go out as a chunk, flushed through the encoder when the length
        // is unknown (as the full path's compression stage flushes each write then). A cached
        // route's miss records the encoder's output, as the cache stage outside compression stores it.
        var fields = state.Fields;
        var encoder = framing.Encoded
            ? state.Encoder.Begin(fields.Coding!, fields.Compression!.Level, ResponseEncoding.FlushesEachWrite(framing.Mode == BodyMode.Length), miss)
            : null;
        miss?.Started();
        long bodyBytes = 0;
        var complete = false;
        var clientGone = false;

        // The client left and the relay stopped with it; while a flight's body is needed (stored,
        // or followed) its fetch goes on without the client instead, its bytes no longer sent.
        var stopped = false;
        var sentBytes = -1L;
        var chunked = new ChunkedScanner();
        var remaining = framing.Length;
        var returned = false;
        try
        {
            // The body bytes that came with the head, then reads straight into the client's
            // output, up to BodyChunk at a time, each flushed before the next read.
            var data = buffer.AsMemory(read.HeadLength, read.Filled - read.HeadLength);
            var fromHead = true;
            while (framing.Mode != BodyMode.None)
            {
                var take = framing.Mode switch
                {
                    // De-chunked: the data alone into the client's output, the trailer section dropped.
                    BodyMode.Chunked when dechunk => chunked.Scan(data.Span, output),
                    BodyMode.Chunked => chunked.Scan(data.Span, (IBufferWriter<byte>?)encoder ?? miss?.Recording),
                    BodyMode.Length => (int)Math.Min(remaining, data.Length),
                    _ => data.Length,
                };
                if (take < 0)
                {
                    break;
                }

                if (framing.Mode != BodyMode.Chunked && encoder is null)
                {
                    miss?.Append(data.Span[..take]);
                }

                if (encoder is not null)
                {
                    if (framing.Mode != BodyMode.Chunked)
                    {
                        encoder.Write(data.Span[..take]);
                    }
                }
                else if (fromHead && staged is not null)
                {
                    data.Span[..take].CopyTo(staged.AsSpan(stagedLength));
                    stagedLength += take;
                }
                else if (fromHead && !dechunk)
                {
                    output.Write(data.Span[..take]);
                }
                else if (!dechunk && !clientGone)
                {
                    // (De-chunked, Scan has written the data into the output already.)
                    output.Advance(take);
                }

                remaining -= take;
                bodyBytes += take;
                var ended = framing.Mode switch
                {
                    BodyMode.Chunked => chunked.Done,
                    BodyMode.Length => remaining == 0,
                    _ => false,
                };
                if (ended)
                {
                    // Bytes after the end of the message: the backend broke the framing.
                    complete = take == data.Length;
                    break;
                }

                var taken = encoder?.Take(last: false) ?? default;
                if (!clientGone && !await FastOutput.FlushAsync(state, output, staged, stagedLength, taken))
                {
                    clientGone = true;
                    sentBytes = framing.Mode == BodyMode.Chunked ? chunked.DataBytes : encoder?.BytesOut ?? bodyBytes;
                }

                stagedLength = 0;
                if (clientGone && (dechunk || miss is not { Needed: true }))
                {
                    stopped = true;
                    break;
                }

                state.Arm(FastConnection.Phase.Backend, default);
                // A length-delimited body asks for no more than it still needs (a short rest fits
                // a pooled 4 KiB block instead of a 64 KiB array).
                // De-chunked, the framing is read into the backend connection's buffer (the head
                // and the bytes that came with it are consumed by now), and the data scanned out of it.
                var memory = dechunk ? backend.Buffer.AsMemory()
                    : encoder?.ReadBuffer(framing.Mode == BodyMode.Length ? remaining : BodyChunk)
                    ?? (clientGone ? backend.Buffer.AsMemory() : output.GetMemory(framing.Mode == BodyMode.Length ? (int)Math.Min(remaining, BodyChunk) : BodyChunk));
                if (framing.Mode == BodyMode.Length && memory.Length > remaining)
                {
                    memory = memory[..(int)remaining];
                }

                var n = await FastOutput.ReceiveAsync(backend, memory);
                if (n <= 0)
                {
                    complete = n == 0 && framing.Mode == BodyMode.UntilClose;
                    break;
                }

                data = memory[..n];
                fromHead = false;
            }

            if (framing.Mode == BodyMode.None)
            {
                complete = data.IsEmpty;
            }
            else if (framing.Mode == BodyMode.Chunked)
            {
                bodyBytes = chunked.DataBytes;
            }

            // An encoded body that came whole ends with the encoder's last bytes and the last
            // chunk (recorded too, with or without a client to send them to); one that did not is
            // left unterminated, so the client sees it cut off.
            var tail = ReadOnlyMemory<byte>.Empty;
            if (encoder is not null)
            {
                tail = complete ? encoder.Take(last: true) : tail;
                bodyBytes = encoder.BytesOut;
                if (complete && !clientGone)
                {
                    compression.Compressed(fields.Coding!, encoder.BytesIn, encoder.BytesOut);
                }
            }

            // The exchange with the backend is over: judge it and free its connection before the
            // last flush, so a client that sends its next request as soon as it has this
            // response already finds the destination judged and the connection back in the pool.
            var detached = state.Detach();
            var reusable = complete && !framing.BackendCloses && framing.Mode != BodyMode.UntilClose && detached;
            if (reusable)
            {
                backend.Endpoint.Return(backend);
                returned = true;
            }

            passive?.Record(cluster, destination, destinationFault: !complete && !stopped, serverError: read.Status >= 500);
            if (!stopped)
            {
                var outcome = !complete ? (state.TimedOut ? DestinationOutcome.Timeout : DestinationOutcome.Reset)
                    : read.Status >= 500 ? DestinationOutcome.ServerError : DestinationOutcome.Answered;
                destinations.Record(destination, outcome, recorder.Since(state.AttemptStart), 0, bodyBytes, retried: false);
            }

            if (miss is not null)
            {
                // Stored before the last bytes go out, as the full path stores before its response ends:
                // a client that asks again as soon as it has this response finds it stored.
                await miss.CompleteAsync(complete);
            }

            if (!clientGone && !await (complete
                    ? FastOutput.FinishAsync(state, output, staged, stagedLength, tail)
                    : FastOutput.FlushAsync(state, output, staged, stagedLength, tail)))
            {
                clientGone = true;
            }
        }
        finally
        {
            if (!returned)
            {
                backend.Dispose();
            }

            if (staged is not null)
            {
                ArrayPool<byte>.Shared.Return(staged);
            }

            encoder?.End();
        }

        var status = read.Status;
        var failed = !complete && !stopped;

        // The access log counts what reached the client, not what the flight went on to fetch.
        bodyBytes = sentBytes < 0 ? bodyBytes : sentBytes;
        recorder.Finish(state, entry, address, requestId, start, status, bodyBytes, reason: null);
        if (failed)
        {
            log.ForwardFailed(entry.Route.Id, destination.DestinationId, Yarp.ReverseProxy.Forwarder.ForwarderError.ResponseBodyDestination,
                state.TimedOut ? "the response body timed out" : "the response body ended early or was malformed");
        }

        return complete && !clientGone && !framing.ClientCloses ? FastOutcome.Done : FastOutcome.Close;
    }
}
