using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Portico.Compression;
using Portico.Configuration;
using Portico.Forwarding;
using Portico.Health;
using Portico.Observability;
using Portico.Security;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Portico.FastPath;

/// <summary>Portico's own answers: when a backend failed after it had the request, the full path's 502 or 504 page, passive health, the log line; and a guard stage's refusal.</summary>
internal sealed class FastLocalAnswer(
    FastRecorder recorder, PassiveHealthPolicy? passive, DestinationStats destinations, ForwardingLog log, GuardLog guard, ActiveConfig config, TimeProvider time, CompressionMetrics compression)
{
    /// <summary>
    /// Portico's own 502 or 504 page, as the full path writes it (ErrorPage, the operator's custom page
    /// included, from the same values), when the backend failed after it had the request. The full
    /// path's forwarding stage writes it inside the compression stage, so the route's compression
    /// judges it as it judges a backend's answer.
    /// </summary>
    /// <param name="failure">What the log line and the destination's statistics name for a 502; by default a malformed response head.</param>
    public async ValueTask<FastOutcome> AnswerAsync(
        FastConnection state, FastRoutes.Entry entry, ClusterState cluster, DestinationState destination, string address,
        string requestId, long start, int status, PipeWriter output, (ForwarderError Error, string Detail, DestinationOutcome Outcome)? failure = null)
    {
        var route = entry.Route;
        var head = state.Head;
        var routeTimedOut = state.RouteDeadlinePassed;
        var bodyBytes = WritePage(state, entry, requestId, status, output, compressed: true);
        passive?.Record(cluster, destination, destinationFault: !routeTimedOut, serverError: false);
        destinations.Record(destination, status == 504 ? DestinationOutcome.Timeout : failure?.Outcome ?? DestinationOutcome.Reset, recorder.Since(state.AttemptStart), 0, 0, retried: false);
        var flushed = await FastOutput.FlushAsync(output);
        var reason = status == 504 ? (routeTimedOut ? LocalReason.RouteTimeout : LocalReason.UpstreamTimeout) : LocalReason.UpstreamUnreachable;
        var (error, detail) = status == 504 ? (ForwarderError.RequestTimedOut, "the backend did not answer in time")
            : failure is { } f ? (f.Error, f.Detail) : (ForwarderError.ResponseHeaders, "the backend's response head was malformed");
        log.ForwardFailed(route.Id, destination.DestinationId, error, detail);
        recorder.Finish(state, entry, address, requestId, start, status, bodyBytes, reason);
        return flushed ? FastOutcome.Done : FastOutcome.Close;
    }

    /// <summary>
    /// A request a guard stage turns away (the rate limit's 429), answered as Refusal answers it:
    /// the same page, the guard's log line, the reason in the access log and metrics; the stage's
    /// own fields are in the request's FastFields.
    /// </summary>
    public async ValueTask<FastOutcome> RefuseAsync(FastConnection state, FastRoutes.Entry entry, string requestId, long start, int status, LocalReason reason, string detail, PipeWriter output)
    {
        guard.RequestRefused(recorder.ClientOf(state).ToString(), status, detail);
        var bodyBytes = WritePage(state, entry, requestId, status, output, compressed: false);
        var flushed = await FastOutput.FlushAsync(output);
        recorder.Finish(state, entry, null, requestId, start, status, bodyBytes, reason);
        return flushed ? FastOutcome.Done : FastOutcome.Close;
    }

    /// <summary>
    /// Writes Portico's page for <paramref name="status"/> with the request's stage fields, judged
    /// by the request's compression when <paramref name="compressed"/> (a guard's refusal, outside
    /// the compression stage on the full path, is not); returns the body bytes sent (none for HEAD).
    /// </summary>
    private long WritePage(FastConnection state, FastRoutes.Entry entry, string requestId, int status, PipeWriter output, bool compressed)
    {
        var route = entry.Route;
        var head = state.Head;
        var custom = ErrorPage.Custom(status, config.Current.Settings, route);
        var values = new PageContext(status, requestId, route.Id, custom is null ? IPAddress.None : recorder.ClientOf(state), time.GetUtcNow());
        var page = ErrorPage.Of(values, head.Values("accept").ToString(), custom, retryAfter: null, detail: null);
        var added = state.Fields;
        var coding = compressed && added.Compression is { } settings
            ? ResponseEncoding.Judge(settings, added.Coding, status, page.ContentType, varies: false, contentEncoding: "", page.Body.Length, noTransform: false)
            : default;
        var writer = new HeadWriter(output.GetSpan(Room(page) + added.ResponseLines.Length + FastCodingHead.Room));
        writer.Write("HTTP/1.1 "u8);
        writer.WriteAscii(page.StatusLine);
        writer.Write("\r\n"u8);
        foreach (var (name, value) in page.Fields)
        {
            if (added.DropsAnyResponse && added.DropsResponse(Encoding.ASCII.GetBytes(name)))
            {
                continue;
            }

            writer.WriteAscii(name);
            writer.Write(": "u8);
            writer.WriteAscii(value);
            writer.Write("\r\n"u8);
        }

        // Compression's fields, then the header rules and HSTS, as on every response the full path sends.
        FastCodingHead.WriteAdded(ref writer, coding, added.Coding, head.IsHead);
        writer.Write(added.ResponseLines);
        if (!coding.Encodes)
        {
            writer.Write("Content-Length: "u8);
            writer.WriteNumber(page.Body.Length);
            writer.Write("\r\n"u8);
        }

        writer.Write("Date: "u8);
        writer.WriteAscii(DateValue.Now);
        writer.Write("\r\n"u8);
        writer.Write(head.ConnectionLine);

        writer.Write("\r\n"u8);
        output.Advance(writer.Position);
        if (head.IsHead)
        {
            return 0;
        }

        if (!coding.Encodes)
        {
            output.Write(page.Body);
            return page.Body.Length;
        }

        // The page is small and whole: encoded at once, sent as one chunk and the last.
        var encoder = state.Encoder.Begin(added.Coding!, added.Compression!.Level, flushEachWrite: false);
        try
        {
            encoder.Write(page.Body);
            output.Write(encoder.Take(last: true).Span);
            compression.Compressed(added.Coding!, encoder.BytesIn, encoder.BytesOut);
            return encoder.BytesOut;
        }
        finally
        {
            encoder.End();
        }
    }

    private static int Room(ErrorPage.Page page)
    {
        var room = HeadWriter.Extra + page.StatusLine.Length;
        foreach (var (name, value) in page.Fields)
        {
            room += name.Length + value.Length + 4;
        }

        return room;
    }
}
