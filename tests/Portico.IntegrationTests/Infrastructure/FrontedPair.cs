namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// Two Portico processes, "a" and "b", behind one <see cref="HaproxyFront"/> in TCP mode: the
/// N-instance deployment of docs/operations.md on one machine. Started when the front's checks
/// see both up.
/// </summary>
internal sealed class FrontedPair : IAsyncDisposable
{
    private FrontedPair(FrontedInstance a, FrontedInstance b, HaproxyFront front)
    {
        A = a;
        B = b;
        Front = front;
    }

    public FrontedInstance A { get; }

    public FrontedInstance B { get; }

    public IEnumerable<FrontedInstance> Both => [A, B];

    public HaproxyFront Front { get; }

    /// <summary><paramref name="config"/> makes each instance's config from its name and ports.</summary>
    public static async Task<FrontedPair> StartAsync(Func<FrontedInstance, string> config)
    {
        var a = await FrontedInstance.StartAsync("a", config);
        FrontedInstance? b = null;
        HaproxyFront? front = null;
        try
        {
            b = await FrontedInstance.StartAsync("b", config);
            front = await HaproxyFront.StartAsync([(a.Name, a.Port, a.AdminPort), (b.Name, b.Port, b.AdminPort)]);
            await front.WaitForAsync("a", "UP");
            await front.WaitForAsync("b", "UP");
            return new FrontedPair(a, b, front);
        }
        catch
        {
            if (front is not null)
            {
                await front.DisposeAsync();
            }

            if (b is not null)
            {
                await b.DisposeAsync();
            }

            await a.DisposeAsync();
            throw;
        }
    }

    /// <summary>What the front and both instances said, for a failure message.</summary>
    public string Diagnostics()
        => $"haproxy:\n{string.Join('\n', Front.Output)}\n"
            + string.Concat(Both.Select(i => $"instance {i.Name} (exited: {i.Process.HasExited}):\n{i.Process.Stdout}{i.Process.Stderr}\n"));

    public async ValueTask DisposeAsync()
    {
        await Front.DisposeAsync();
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}
