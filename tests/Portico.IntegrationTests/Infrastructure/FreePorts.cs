using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// Ports a test must name before anything listens on them: a server that must know its port up
/// front (a redirect's target, pebble's validation ports, a process whose banner names it) or a
/// destination where nothing listens. A server that can bind 127.0.0.1:0 and be asked for its port
/// should do that instead.
/// Asking the kernel for a port (bind 0, read it, close) races: until the test binds it again, any
/// other bind to port 0 or outgoing connection in the process may be given the same port. Ports
/// here come from outside the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range),
/// where neither ever lands, each handed out once per process, and only when nothing listened on
/// it at that moment. Another process on the machine can still take one; <see cref="RetryAsync"/>
/// starts again with new ports when that happens.
/// </summary>
internal static class FreePorts
{
    private static readonly (int First, int Last) Range = OutsideEphemeral();

    // A random start per process, so two test processes using this scheme rarely meet.
    private static int _next = Random.Shared.Next(Range.Last - Range.First + 1);

    /// <summary>A port no other caller in this process gets, on which nothing listened just now.</summary>
    public static int Take()
    {
        var size = Range.Last - Range.First + 1;
        for (var tried = 0; tried < size; tried++)
        {
            var port = Range.First + (int)((uint)Interlocked.Increment(ref _next) % (uint)size);
            if (Listenable(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"no free port in {Range.First}-{Range.Last}");
    }

    /// <summary>
    /// Runs <paramref name="start"/> (which takes its ports from <see cref="Take"/>) again, up to
    /// five times, when it failed because another process bound one of them meanwhile.
    /// </summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> start)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await start();
            }
            catch (Exception ex) when (attempt < 5 && InUse(ex))
            {
            }
        }
    }

    /// <summary>Whether <paramref name="ex"/> (or what it wraps) says an address was already in use.</summary>
    public static bool InUse(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }
                || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Listenable(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
            probe.Listen();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The larger stretch of unprivileged ports below or above the ephemeral range.</summary>
    private static (int First, int Last) OutsideEphemeral()
    {
        const string File = "/proc/sys/net/ipv4/ip_local_port_range";
        var bounds = System.IO.File.ReadAllText(File).Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var low = int.Parse(bounds[0], CultureInfo.InvariantCulture);
        var high = int.Parse(bounds[1], CultureInfo.InvariantCulture);

        // Above 10000: clear of the well-known and registered ports services on a machine commonly take.
        (int, int) below = (10_000, low - 1);
        (int, int) above = (high + 1, 65_535);
        var chosen = low - 10_000 >= 65_535 - high ? below : above;
        Assert.True(chosen.Item2 - chosen.Item1 >= 1_000, $"the ephemeral range {low}-{high} ({File}) leaves too few ports for tests");
        return chosen;
    }
}
