using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Transport;

namespace Portico.Security.Desync;

/// <summary>
/// Kestrel connection middleware for HTTP/1.x listeners: Kestrel reads the connection through a
/// <see cref="ValidatingPipeReader"/>, so it parses only request heads and bodies that cannot be
/// framed two ways. Checking the raw bytes, rather than the headers Kestrel parsed, matters:
/// Kestrel folds some ambiguities away (it renames a Content-Length sent beside
/// Transfer-Encoding, accepts "+5" as a length and bare LF as a line end) before any request
/// stage could see them. A refused request gets a 400 (408, 414, 431 or 505 where those fit),
/// written here after Kestrel finished what came before it, and the connection is closed.
/// </summary>
internal sealed class DesyncConnectionMiddleware(ActiveConfig config, LimitsSettings serverLimits, TimeProvider time, GuardLog log, GuardMetrics metrics)
{
    public ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        var underscores = config.Current.Settings.Limits.UnderscoreHeaders;
        var validator = new Http1FramingValidator(new Http1Limits(
            serverLimits.MaxRequestLine, serverLimits.MaxHeaderCount, serverLimits.MaxHeadersSize, underscores == UnderscoreHeaderPolicy.Reject));
        var original = connection.Transport;
        connection.Transport = new DuplexPipe(
            new ValidatingPipeReader(original.Input, validator, time, serverLimits.HeadersTimeout),
            new NonCompletingPipeWriter(original.Output));
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = original;
        }

        if (validator.Failure is { } failure)
        {
            // Refused before the request's end was read: the client may still be sending it,
            // and a close with its next bytes unread would reset the connection (the client's
            // sending fails, and with it, often, its reading of this answer).
            connection.Features.Get<ILingeringCloseFeature>()?.ClientMaySend();
            var peer = connection.RemoteEndPoint?.ToString() ?? "-";
            log.FramingRefused(peer, failure.Status, failure.Reason);
            metrics.Refused(failure.Status == 408 ? GuardMetrics.HeaderTimeout : GuardMetrics.Framing);
            if (failure.Answerable)
            {
                await ConnectionAnswer.WriteAsync(original.Output, failure.Status, failure.Reason);
            }
        }

        await original.Output.CompleteAsync();
    };

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
