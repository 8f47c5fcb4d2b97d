using System.Buffers;
using System.IO.Pipelines;

namespace Portico.Security.Desync;

/// <summary>
/// The connection's input as Kestrel reads it: only the bytes <see cref="Http1FramingValidator"/>
/// has cleared. A head still arriving is held back, and must be whole within the header timeout
/// from its first byte. After a violation Kestrel sees the input end just before the offending
/// request (or at the offending byte of a body it already reads), so it finishes what came
/// before and closes; <see cref="DesyncConnectionMiddleware"/> then answers.
/// </summary>
internal sealed class ValidatingPipeReader(PipeReader inner, Http1FramingValidator validator, TimeProvider time, TimeSpan headersTimeout) : PipeReader
{
    private ReadOnlySequence<byte> _last;
    private long _handed;
    private bool _examinedAll = true;
    private bool _ended;
    private long? _headStartedAt;
    private bool _held;
    private bool _abandoned;

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_held || _abandoned)
        {
            return Abandon();
        }

        while (true)
        {
            if (_ended)
            {
                // Nothing more is read from the client; Kestrel gets what is left of the released bytes.
                return inner.TryRead(out var rest) ? Prepare(rest, out var handedRest) ? handedRest : Hand(rest.Buffer, completed: true) : new ReadResult(default, false, true);
            }

            ReadResult result;
            try
            {
                result = await ReadInnerAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                validator.Fail(408, "request head not received within the header timeout", _handed);
                _ended = true;
                return inner.TryRead(out result) ? Hand(result.Buffer, completed: true) : new ReadResult(default, false, true);
            }

            if (Prepare(result, out var handed))
            {
                return handed;
            }

            inner.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    public override bool TryRead(out ReadResult result)
    {
        if (_held || _abandoned)
        {
            result = Abandon();
            return true;
        }

        if (inner.TryRead(out var raw))
        {
            if (Prepare(raw, out result))
            {
                return true;
            }

            inner.AdvanceTo(raw.Buffer.Start, raw.Buffer.End);
        }

        result = default;
        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        _held = false;
        if (_last.IsEmpty && _ended)
        {
            return;
        }

        var consumedBytes = _last.Slice(0, consumed).Length;
        _examinedAll = _last.Slice(0, examined).Length >= _handed;

        // When Kestrel looked at everything it was given, the held-back rest was examined by us:
        // the next read should wait for new bytes rather than return the same ones.
        inner.AdvanceTo(consumed, _examinedAll ? _last.End : examined);
        validator.Consumed(consumedBytes);
        _handed -= consumedBytes;
        _last = default;
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    private async ValueTask<ReadResult> ReadInnerAsync(CancellationToken cancellationToken)
    {
        if (_headStartedAt is not { } started)
        {
            return await inner.ReadAsync(cancellationToken);
        }

        var left = headersTimeout - time.GetElapsedTime(started);
        if (left <= TimeSpan.Zero)
        {
            throw new OperationCanceledException();
        }

        using var deadline = new CancellationTokenSource(left, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        return await inner.ReadAsync(linked.Token);
    }

    /// <summary>Validates what arrived; false when there is nothing new for Kestrel yet.</summary>
    private bool Prepare(ReadResult result, out ReadResult handed)
    {
        var buffer = result.Buffer;
        if (!_ended && !result.IsCanceled)
        {
            validator.Scan(buffer, _handed);
            _ended = validator.Failure is not null;
        }

        if (validator.HeadPending(buffer.Length))
        {
            _headStartedAt ??= time.GetTimestamp();
        }
        else
        {
            _headStartedAt = null;
        }

        // Kestrel aborts a connection whose input ends while it still has a whole request to
        // serve, so before an answerable refusal it is given the earlier requests first and the
        // end only once it has consumed them. The same for the client's own end of stream: a
        // client that sent its request and shut down its sending side still reads the answer
        // (RFC 9112 §9.6), so the end is passed on only once Kestrel has examined every byte it
        // can get (its body reader fails a read that ends the input, even with the whole body in
        // it). A violation inside a body Kestrel already reads ends its input at once: it fails
        // that request. A client that hangs up mid-head: the partial head is dropped with the connection.
        var completed = _ended
            ? validator.Failure is not { Answerable: true } || validator.Releasable == 0
            : result.IsCompleted && validator.Releasable <= _handed && _examinedAll;
        if (!completed && !result.IsCanceled && validator.Releasable <= _handed && _examinedAll)
        {
            handed = default;
            return false;
        }

        handed = Hand(buffer, completed, result.IsCanceled);
        return true;
    }

    /// <summary>
    /// Kestrel reads again without advancing past its last result only when it gave up on a
    /// request body: its body reader keeps a read whose body arrived whole until the body is
    /// consumed, and skips consuming it when the connection was aborted (a client that shut down
    /// its sending side after a request the WAF refused unread). The inner reader still holds
    /// that read, and where the next request starts is Kestrel's to know, so the input ends here.
    /// </summary>
    private ReadResult Abandon()
    {
        _abandoned = true;
        _ended = true;
        _held = false;
        _last = default;
        return new ReadResult(default, false, true);
    }

    private ReadResult Hand(ReadOnlySequence<byte> buffer, bool completed, bool canceled = false)
    {
        _held = true;
        _last = buffer;
        _handed = Math.Min(validator.Releasable, buffer.Length);
        return new ReadResult(buffer.Slice(0, _handed), canceled, completed);
    }
}
