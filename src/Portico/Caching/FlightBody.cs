namespace Portico.Caching;

/// <summary>
/// The body of a response on its way from the origin, recorded for the store and read at the
/// same time by collapsed requests, each at its own pace. Bounded by the object size cap: past
/// it, recording stops and the body is marked failed (readers that began must give up).
/// </summary>
internal sealed class FlightBody(long limit)
{
    private readonly Lock _gate = new();
    private readonly List<ReadOnlyMemory<byte>> _chunks = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _length;

    public bool Completed { get; private set; }

    public bool Failed { get; private set; }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        lock (_gate)
        {
            if (Failed || Completed)
            {
                return;
            }

            if (_length + data.Length > limit)
            {
                FailLocked();
                return;
            }

            _chunks.Add(data.ToArray());
            _length += data.Length;
            Signal();
        }
    }

    public void Complete()
    {
        lock (_gate)
        {
            if (!Failed)
            {
                Completed = true;
                Signal();
            }
        }
    }

    public void Fail()
    {
        lock (_gate)
        {
            FailLocked();
        }
    }

    /// <summary>The whole body once complete.</summary>
    public byte[] ToArray()
    {
        lock (_gate)
        {
            var all = new byte[_length];
            var at = 0;
            foreach (var chunk in _chunks)
            {
                chunk.Span.CopyTo(all.AsSpan(at));
                at += chunk.Length;
            }

            return all;
        }
    }

    /// <summary>Copies the body to <paramref name="destination"/> as it arrives; false when the body failed.</summary>
    public async Task<bool> CopyToAsync(Stream destination, CancellationToken cancellationToken)
    {
        var next = 0;
        while (true)
        {
            ReadOnlyMemory<byte>[] ready;
            Task changed;
            bool done;
            lock (_gate)
            {
                if (Failed)
                {
                    return false;
                }

                ready = _chunks.Skip(next).ToArray();
                next = _chunks.Count;
                done = Completed;
                changed = _changed.Task;
            }

            foreach (var chunk in ready)
            {
                await destination.WriteAsync(chunk, cancellationToken);
            }

            if (done)
            {
                return true;
            }

            if (ready.Length > 0)
            {
                await destination.FlushAsync(cancellationToken);
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    private void FailLocked()
    {
        Failed = true;
        _chunks.Clear();
        Signal();
    }

    private void Signal()
    {
        var old = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }
}
