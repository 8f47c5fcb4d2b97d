using System.Collections.Concurrent;
using System.Net;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// A bounded load of idempotent GETs through an L4 front, run in the background while a test
/// does something to the instances behind it, until the test stops it, the count is reached or
/// the time is up. Half the workers keep one connection alive (which the front pins to one
/// instance), half open a new connection for every request (which the front spreads).
/// A request whose connection breaks before an answer comes (an instance killed under it, or a
/// kept connection closed just as the request was sent) is sent once more on a new connection,
/// as browsers do for idempotent requests (RFC 9110 §9.2.2, RFC 9112 §9.3.1); those are counted
/// apart as <see cref="FrontLoadResult.Retried"/>. A request that still fails, or any answer
/// but the one expected, is a failure.
/// </summary>
internal sealed class FrontLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly Task _run;
    private readonly ConcurrentDictionary<string, int> _bodies = new();
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly ConcurrentQueue<string> _retries = new();
    private int _next = -1;
    private int _ok;
    private int _failed;
    private int _retried;

    private FrontLoad(Func<bool, HttpClient> client, int workers, int requests, TimeSpan cap)
    {
        _stop = new CancellationTokenSource(cap);
        _run = Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(() => WorkAsync(client, keepAlive: w % 2 == 0, requests))));
    }

    /// <summary>Requests answered as expected so far.</summary>
    public int Ok => Volatile.Read(ref _ok);

    /// <summary>
    /// Starts <paramref name="workers"/> workers sending GET /load/N, at most
    /// <paramref name="requests"/> requests and for at most <paramref name="cap"/>.
    /// <paramref name="client"/> makes a worker's client (true: the keep-alive kind).
    /// </summary>
    public static FrontLoad Start(Func<bool, HttpClient> client, int workers = 6, int requests = 100_000, TimeSpan? cap = null)
        => new(client, workers, requests, cap ?? TimeSpan.FromSeconds(60));

    /// <summary>A worker's plain HTTP client for the front on 127.0.0.1:<paramref name="port"/>.</summary>
    public static HttpClient Plain(int port, bool keepAlive) => Configure(new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") }, keepAlive);

    /// <summary>Sets what every worker's client has: a bound on each request, and whether it keeps its connection.</summary>
    public static HttpClient Configure(HttpClient client, bool keepAlive)
    {
        client.Timeout = TimeSpan.FromSeconds(10);
        client.DefaultRequestHeaders.ConnectionClose = !keepAlive;
        return client;
    }

    /// <summary>Waits until <paramref name="more"/> further requests have been answered (progress, not a sleep).</summary>
    public Task AnsweredAsync(int more, string what)
    {
        var target = Ok + more;
        return Poll.UntilAsync(() => Ok >= target || _run.IsCompleted, what, seconds: 30);
    }

    /// <summary>Waits until an answer with <paramref name="body"/> has been seen.</summary>
    public Task SeenAsync(string body) => Poll.UntilAsync(() => _bodies.ContainsKey(body) || _run.IsCompleted, $"the load to see '{body}'", seconds: 30);

    /// <summary>Stops the load and returns its counts.</summary>
    public async Task<FrontLoadResult> StopAsync()
    {
        var capped = _stop.IsCancellationRequested;
        await _stop.CancelAsync();
        await _run;
        return new FrontLoadResult(_ok, _failed, _retried, capped, new Dictionary<string, int>(_bodies), _failures.Take(10).ToList(), _retries.Take(10).ToList());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        _stop.Dispose();
    }

    private async Task WorkAsync(Func<bool, HttpClient> make, bool keepAlive, int requests)
    {
        var client = make(keepAlive);
        try
        {
            int i;
            while (!_stop.IsCancellationRequested && (i = Interlocked.Increment(ref _next)) < requests)
            {
                var path = $"/load/{i}";
                var (body, error, broken) = await SendAsync(client, path);
                if (broken)
                {
                    Interlocked.Increment(ref _retried);
                    _retries.Enqueue($"{path}: {error}");
                    client.Dispose();
                    client = make(keepAlive);
                    (body, error, _) = await SendAsync(client, path);
                }

                if (body is not null)
                {
                    Interlocked.Increment(ref _ok);
                    _bodies.AddOrUpdate(body, 1, (_, n) => n + 1);
                }
                else
                {
                    Interlocked.Increment(ref _failed);
                    _failures.Enqueue($"{path}: {error}");
                }
            }
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <summary>
    /// The body of a 200; otherwise what went wrong, and whether it was the connection that broke
    /// (worth one more try) rather than an answer that is a failure in itself.
    /// </summary>
    private static async Task<(string? Body, string? Error, bool Broken)> SendAsync(HttpClient client, string path)
    {
        try
        {
            using var response = await client.GetAsync(path, CancellationToken.None);
            var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
            return response.StatusCode == HttpStatusCode.OK
                ? (body, null, false)
                : (null, $"answered {(int)response.StatusCode} {response.Headers}{body}", false);
        }
        catch (HttpRequestException ex)
        {
            return (null, $"{ex.Message} ({ex.InnerException?.Message})", true);
        }
        catch (TaskCanceledException ex)
        {
            return (null, $"no answer within {client.Timeout.TotalSeconds}s: {ex.Message}", false);
        }
    }
}
