namespace Portico.Hosting;

/// <summary>
/// Runs socket completions, and Kestrel's request processing, on the I/O thread that saw the
/// data rather than handing each one to the thread pool. A proxy's work between reading and
/// writing is short and never blocks, so the hop to the pool costs more than it buys: on the
/// 1 KiB keep-alive benchmark the proxy's CPU per request, relative to the origin's, fell from
/// about 2.7× to 2.2× (bench/README.md). Process-wide, and read by the runtime when the first
/// socket is made, so `portico run` decides it before anything else. An operator who sets
/// DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0 gets the thread-pool dispatch back.
/// </summary>
internal static class InlineIo
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Turns inline completions on unless the environment already says either way.</summary>
    public static void EnableUnlessSet()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }

    /// <summary>
    /// Whether the runtime runs socket completions inline; Kestrel inlines its own scheduling
    /// only then (alone it was slower: the two hops it saves are the runtime's and Kestrel's).
    /// </summary>
    public static bool Enabled => Environment.GetEnvironmentVariable(Variable) == "1";
}
