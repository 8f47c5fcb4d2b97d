namespace Portico.IntegrationTests.Infrastructure;

/// <summary>A bounded load: a fixed number of requests from a few workers, with a time cap.</summary>
internal static class Load
{
    public static async Task<LoadResult> RunAsync(int requests, int workers, TimeSpan cap, Func<int, Task<bool>> send)
    {
        var next = -1;
        var ok = 0;
        var failed = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource(cap);
        var tasks = Enumerable.Range(0, workers).Select(async _ =>
        {
            int i;
            while (!stop.IsCancellationRequested && (i = Interlocked.Increment(ref next)) < requests)
            {
                try
                {
                    if (await send(i))
                    {
                        Interlocked.Increment(ref ok);
                    }
                    else
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
                catch (Exception ex)
                {
                    Interlocked.Increment(ref failed);
                    failures.Enqueue(ex.GetType().Name + ": " + ex.Message);
                }
            }
        });
        await Task.WhenAll(tasks);
        return new LoadResult(ok, failed, failures.Take(5).ToArray());
    }
}

internal sealed record LoadResult(int Ok, int Failed, IReadOnlyList<string> SampleFailures)
{
    public int Total => Ok + Failed;
}
