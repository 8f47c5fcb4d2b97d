namespace Portico.Caching;

/// <summary>
/// The body of a response on its way from the origin, recorded for the store and read at the
/// same time by collapsed requests (<see cref="Follow"/>), each at its own pace. Bounded by the
/// object size cap: a body that passes it is not stored, but is still relayed to the followers
/// that joined before it did, through a window (<see cref="Window"/>, or the cap when larger):
/// the oldest pieces are let go as new ones come, and a follower that falls further behind than
/// the window gives up. The leader never waits for a follower. Once past the cap with nobody
/// following, recording stops, and later requests cannot join.
/// </summary>
internal sealed class FlightBody(long limit)
{
    /// <summary>
    /// The least a follower may lag past the cap: one burst the relay takes in from the origin
    /// at once, with room to spare, however small the cap.
    /// </summary>
    public const long Window = 256 * 1024;

    private readonly Lock _gate = new();
    private readonly long _window = Math.Max(limit, Window);
    private readonly List<ReadOnlyMemory<byte>> _chunks = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _length;
    private long _held;
    private int _dropped;
    private int _readers;
    private bool _over;
    private bool _cut;

    public bool Completed { get; private set; }

    public bool Failed { get; private set; }

    /// <summary>
    /// Whether anyone needs the rest of the body: the store (it is within the cap) or a follower
    /// still reading it. A leader whose client left fetches on only while this holds.
    /// </summary>
    public bool Needed
    {
        get
        {
            lock (_gate)
            {
                return !Failed && (!_over || _readers > 0);
            }
        }
    }

    /// <summary>The whole body is held: complete, and within the cap (<see cref="ToArray"/>).</summary>
    public bool Whole
    {
        get
        {
            lock (_gate)
            {
                return Completed && !_over;
            }
        }
    }

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

            _length += data.Length;
            _over |= _length > limit;
            if (_over && _readers == 0)
            {
                DropLocked(_chunks.Count);
                _cut = true;
                return;
            }

            _chunks.Add(data.ToArray());
            _held += data.Length;
            var let = 0;
            for (var held = _held; _over && held > _window && let < _chunks.Count - 1; let++)
            {
                held -= _chunks[let].Length;
            }

            DropLocked(let);
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
            Failed = true;
            DropLocked(_chunks.Count);
            Signal();
        }
    }

    /// <summary>The whole body once <see cref="Whole"/>.</summary>
    public byte[] ToArray()
    {
        lock (_gate)
        {
            if (_cut)
            {
                throw new InvalidOperationException("The body's start is no longer held.");
            }

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

    /// <summary>
    /// A reader from the body's first byte, or null when it cannot have one: the body failed, or
    /// its start was let go (past the cap). Asked before a follower writes its response head, so
    /// that one that cannot follow goes to the origin itself instead of sending half an answer.
    /// </summary>
    public Reader? Follow()
    {
        lock (_gate)
        {
            if (Failed || _cut)
            {
                return null;
            }

            _readers++;
            return new Reader(this);
        }
    }

    private void DropLocked(int count)
    {
        for (var i = 0; i < count; i++)
        {
            _held -= _chunks[i].Length;
        }

        _chunks.RemoveRange(0, count);
        _dropped += count;
        _cut |= count > 0;
    }

    private void Signal()
    {
        var old = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }

    /// <summary>One follower's place in the body; disposed when it is done with it.</summary>
    public sealed class Reader : IDisposable
    {
        private FlightBody? _body;
        private int _next;

        internal Reader(FlightBody body) => _body = body;

        /// <summary>Copies the body to <paramref name="destination"/> as it arrives; false when the body failed or this reader fell out of its window.</summary>
        public async Task<bool> CopyToAsync(Stream destination, CancellationToken cancellationToken)
        {
            var body = _body ?? throw new ObjectDisposedException(nameof(Reader));
            while (true)
            {
                ReadOnlyMemory<byte>[] ready;
                Task changed;
                bool done;
                lock (body._gate)
                {
                    if (body.Failed || _next < body._dropped)
                    {
                        return false;
                    }

                    ready = body._chunks.GetRange(_next - body._dropped, body._chunks.Count - (_next - body._dropped)).ToArray();
                    _next = body._dropped + body._chunks.Count;
                    done = body.Completed;
                    changed = body._changed.Task;
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

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _body, null) is not { } body)
            {
                return;
            }

            lock (body._gate)
            {
                body._readers--;
                if (body._over && body._readers == 0)
                {
                    // Nobody left to relay to: the window is let go now, not at the body's end.
                    body.DropLocked(body._chunks.Count);
                    body._cut = true;
                }
            }
        }
    }
}
