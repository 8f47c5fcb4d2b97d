using Portico.Transport;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>The loop's thread held in a piece of posted work until released (at most 30 s).</summary>
internal sealed class LoopHeld : IAsyncDisposable
{
    private readonly ManualResetEventSlim _release = new();
    private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task<int> _work;

    public LoopHeld(EventLoop loop)
    {
        _work = LoopPair.OnLoopAsync(loop, () =>
        {
            _held.SetResult();
            _release.Wait(TimeSpan.FromSeconds(30));
            return 0;
        });
    }

    public Task HeldAsync() => _held.Task.WaitAsync(TimeSpan.FromSeconds(15));

    public void Release() => _release.Set();

    public async ValueTask DisposeAsync()
    {
        _release.Set();
        await _work.WaitAsync(TimeSpan.FromSeconds(15));
        _release.Dispose();
    }
}
