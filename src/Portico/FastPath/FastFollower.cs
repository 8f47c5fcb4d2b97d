using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Portico.Caching;
using Portico.Compression;

namespace Portico.FastPath;

/// <summary>
/// A collapsed miss's follower answered from its leader's response as the cache stage answers
/// it (<see cref="CacheResponder.WriteAsync"/> with the flight's body): the leader's status and
/// stored fields (its `no-cache="field"` fields too: the response was just validated), `Age`,
/// `Cache-Status: Portico; fwd=…; collapsed`, the request's stage fields, the body streamed as
/// the leader's arrives, framed as the full path's server frames it (by the stored
/// Content-Length, else chunked). A body that breaks off ends the connection, as the full path
/// aborts the exchange.
/// </summary>
internal static class FastFollower
{
    public static async ValueTask<FastOutcome> AnswerAsync(
        FastConnection state, FastRoutes.Entry entry, (CacheEntry Head, FlightBody.Reader Body) shared, TimeSpan age, string requestId, long start, FastRecorder recorder, PipeWriter output)
    {
        var (stored, body) = shared;
        var head = state.Head;
        var added = state.Fields;
        var text = new StringBuilder();
        text.Append("HTTP/1.1 ").Append(stored.Status.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(ReasonPhrases.GetReasonPhrase(stored.Status)).Append("\r\n");
        var dated = false;
        var sized = false;
        foreach (var (name, values) in stored.Headers)
        {
            if (added.DropsAnyResponse && added.DropsResponse(Encoding.ASCII.GetBytes(name)))
            {
                continue;
            }

            dated |= name.Equals("Date", StringComparison.OrdinalIgnoreCase);
            sized |= name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase);
            foreach (var value in values)
            {
                text.Append(name).Append(": ").Append(value).Append("\r\n");
            }
        }

        var prefix = Encoding.Latin1.GetBytes(text.ToString());
        var chunked = !sized && stored.Status is not (204 or 304);
        var writer = new HeadWriter(output.GetSpan(prefix.Length + added.ResponseLines.Length + requestId.Length + HeadWriter.Extra));
        writer.Write(prefix);
        writer.Write(added.ResponseLines);
        writer.Write("Age: "u8);
        writer.WriteNumber((long)Math.Max(0, Math.Floor(age.TotalSeconds)));
        writer.Write("\r\nX-Request-Id: "u8);
        writer.WriteAscii(requestId);
        writer.Write("\r\n"u8);
        if (!dated)
        {
            writer.Write("Date: "u8);
            writer.WriteAscii(DateValue.Now);
            writer.Write("\r\n"u8);
        }

        if (chunked)
        {
            writer.Write("Transfer-Encoding: chunked\r\n"u8);
        }

        writer.Write(head.ConnectionLine);

        writer.Write("\r\n"u8);
        output.Advance(writer.Position);

        var relay = new Relay(output, chunked);
        var whole = false;
        try
        {
            whole = await body.CopyToAsync(relay, CancellationToken.None);
            if (whole && chunked)
            {
                output.Write("0\r\n\r\n"u8);
            }

            whole &= await FastOutput.FlushAsync(output);
        }
        catch (IOException)
        {
            // The client went away while the body streamed.
        }

        recorder.Finish(state, entry, null, requestId, start, stored.Status, relay.Bytes, reason: null);
        return whole && !head.Close ? FastOutcome.Done : FastOutcome.Close;
    }

    /// <summary>The flight's body into the client's output, each piece as a chunk when the response is chunked.</summary>
    private sealed class Relay(PipeWriter output, bool chunked) : WriteOnlyStream
    {
        public long Bytes { get; private set; }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (buffer.IsEmpty)
            {
                return;
            }

            if (chunked)
            {
                var size = output.GetSpan(18);
                buffer.Length.TryFormat(size, out var written, "x", CultureInfo.InvariantCulture);
                "\r\n"u8.CopyTo(size[written..]);
                output.Advance(written + 2);
            }

            output.Write(buffer);
            if (chunked)
            {
                output.Write("\r\n"u8);
            }

            Bytes += buffer.Length;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Flush() => throw new NotSupportedException();

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            if (!await FastOutput.FlushAsync(output))
            {
                throw new IOException("the client is gone");
            }
        }
    }
}
