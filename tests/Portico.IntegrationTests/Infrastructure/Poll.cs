namespace Portico.IntegrationTests.Infrastructure;

/// <summary>Waits for a condition the proxy reaches on its own (a health transition, a reload), with a cap.</summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, string what, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out after {seconds}s waiting for {what}");
            await Task.Delay(25);
        }
    }

    /// <summary>
    /// For a condition that needs a request: awaited, not blocked on, so polling does not hold a
    /// thread-pool thread the in-process proxy needs (a 2-core machine starts with only two).
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out after {seconds}s waiting for {what}");
            await Task.Delay(25);
        }
    }
}
