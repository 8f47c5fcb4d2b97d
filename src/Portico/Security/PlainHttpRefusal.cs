using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Portico.Security;

/// <summary>
/// On an HTTPS listener, answers a client that speaks plain HTTP instead of starting a TLS
/// handshake (http://host:443/, or a plain-HTTP health checker) with a 400 that says so, where
/// the failed handshake alone would close the connection without a word. One byte tells them
/// apart: a TLS connection opens with a handshake record (content type 22, RFC 8446 §5.1), a
/// plain request with a method's token character or an empty line (RFC 9112 §2.2, §3), all
/// below 0x80. A first byte with the high bit set is left to the handshake, as an SSLv2-format
/// ClientHello starts that way (RFC 5246 Appendix E.2).
/// </summary>
internal sealed class PlainHttpRefusal(TimeProvider time, GuardLog log, GuardMetrics metrics)
{
    public const string Hint = "plain HTTP was sent to an HTTPS port; use https://";

    // As long as the handshake would have waited for the client to start (TlsEndpoint), to the
    // second; the handshake's own timeout then runs from the first byte.
    private static readonly TimeSpan FirstByteTimeout = TimeSpan.FromSeconds(10);

    private readonly SharedDeadline _firstByte = new(FirstByteTimeout, time);

    // After the answer, what the client still sends (the rest of its head, a body) is read and
    // dropped until it closes, for a bounded time and amount: closing a socket with unread bytes
    // sends a reset, which can destroy the answer before the client has read it.
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(2);
    private const long LingerBytes = 64 * 1024;

    private const byte HandshakeRecord = 22;

    public ConnectionDelegate Wrap(ConnectionDelegate next, string listener) => async connection =>
    {
        var input = connection.Transport.Input;
        if (!input.TryRead(out var first))
        {
            // The end of the connection completes the input, so only the timeout is linked:
            // watching ConnectionClosed too made Portico's transport wake a pool thread at the
            // end of every TLS connection to cancel it (issue 25). The timeout is shared with
            // the connections that began in the same second (SharedDeadline).
            try
            {
                first = await input.ReadAsync(_firstByte.Token());
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (first.IsCompleted && first.Buffer.IsEmpty)
            {
                // Gone before its first byte, as when the closed connection cancelled the wait.
                return;
            }
        }

        if (first.Buffer.IsEmpty || StartsTls(first.Buffer))
        {
            input.AdvanceTo(first.Buffer.Start);
            await next(connection);
            return;
        }

        log.PlainHttpRefused(connection.RemoteEndPoint?.ToString() ?? "-", listener);
        metrics.Refused(GuardMetrics.PlainHttp);
        await ConnectionAnswer.WriteAsync(connection.Transport.Output, 400, Hint);
        await DrainAsync(input, first, connection);
    };

    private static bool StartsTls(in ReadOnlySequence<byte> buffer)
    {
        Span<byte> one = stackalloc byte[1];
        buffer.Slice(0, 1).CopyTo(one);
        return one[0] is HandshakeRecord or >= 0x80;
    }

    private async Task DrainAsync(PipeReader input, ReadResult read, ConnectionContext connection)
    {
        using var timeout = new CancellationTokenSource(Linger, time);
        using var linger = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, timeout.Token);
        var dropped = 0L;
        try
        {
            while (true)
            {
                dropped += read.Buffer.Length;
                input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted || read.IsCanceled || dropped > LingerBytes)
                {
                    return;
                }

                read = await input.ReadAsync(linger.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionResetException)
        {
            // Lingered long enough, or the client is gone: either way the connection ends now.
        }
    }
}
