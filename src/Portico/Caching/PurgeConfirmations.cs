using System.Collections.Concurrent;

namespace Portico.Caching;

/// <summary>The acknowledgements one purge has had so far, and a wait for those of a given set of instances.</summary>
internal sealed class PurgeConfirmations
{
    private readonly ConcurrentDictionary<string, int> _acks = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IReadOnlyCollection<string>? _expected;

    public IReadOnlyDictionary<string, int> Acks => _acks;

    public void Add(PurgeAck ack)
    {
        _acks[ack.Instance] = ack.Purged;
        Check();
    }

    /// <summary>Completes when every one of <paramref name="expected"/> has acknowledged, or after <paramref name="wait"/>.</summary>
    public async Task WaitAsync(IReadOnlyCollection<string> expected, TimeSpan wait, TimeProvider time, CancellationToken ct)
    {
        Volatile.Write(ref _expected, expected);
        Check();
        try
        {
            await _all.Task.WaitAsync(wait, time, ct);
        }
        catch (TimeoutException)
        {
            // Those that did not answer in time are named as unconfirmed in the answer.
        }
    }

    private void Check()
    {
        if (Volatile.Read(ref _expected) is { } expected && expected.All(_acks.ContainsKey))
        {
            _all.TrySetResult();
        }
    }
}
