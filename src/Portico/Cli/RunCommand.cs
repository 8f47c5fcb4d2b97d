using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Portico.Configuration;
using Portico.Hosting;

namespace Portico.Cli;

/// <summary>`portico run`: load, bind, serve until SIGTERM/Ctrl-C, then drain within the grace period.</summary>
internal static class RunCommand
{
    public static async Task<int> RunAsync(CliOptions options)
    {
        // Before the first socket (the demo's backends make some): the runtime reads it once.
        InlineIo.EnableUnlessSet();
        var path = options.ConfigPath ?? (File.Exists("portico.yaml") ? "portico.yaml" : null);
        await using var demo = path is null ? await DemoBackends.StartAsync() : null;
        var loaded = demo is null
            ? await StandaloneLoader.LoadFileAsync(path!)
            : await StandaloneLoader.LoadTextAsync(DemoConfig.Yaml(demo, options.DemoListen, options.DemoAdmin), "(built-in demo)");

        if (!loaded.IsValid)
        {
            foreach (var error in loaded.Errors)
            {
                Console.Error.WriteLine(error);
            }

            Console.Error.WriteLine($"portico: {loaded.Source}: {loaded.Errors.Count} error(s); not started");
            return 1;
        }

        if (BindCheck.FirstFailure(loaded.Settings!) is { } unbindable)
        {
            Console.Error.WriteLine($"portico: {loaded.Source}: cannot start: {unbindable}");
            return 1;
        }

        var server = PorticoServer.Build(loaded, path);
        try
        {
            await server.StartAsync();
        }
        catch (Exception ex) when (ex is IOException or SocketException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            // What the bind check could not foresee (a port taken in between, a certificate that
            // fails to load): one line with the cause, not a stack trace.
            Console.Error.WriteLine($"portico: {loaded.Source}: cannot start: {ex.Message}");
            await server.DisposeAsync();
            return 1;
        }

        if (demo is not null)
        {
            Console.Out.WriteLine(DemoConfig.Banner(demo, options.DemoListen, server.AdminAddress));
        }

        await server.WaitForShutdownAsync();
        await server.DisposeAsync();
        return 0;
    }
}
