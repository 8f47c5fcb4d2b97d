using Microsoft.Extensions.DependencyInjection;
using Portico.Configuration;
using Portico.Hosting;

namespace Portico.Cli;

/// <summary>Loads a config with the same services and checks the server uses, before any server exists.</summary>
internal static class StandaloneLoader
{
    public static Task<LoadedConfig> LoadFileAsync(string path) => WithLoader(l => l.LoadFileAsync(path));

    public static Task<LoadedConfig> LoadTextAsync(string text, string source) => WithLoader(l => l.LoadTextAsync(text, source));

    private static async Task<LoadedConfig> WithLoader(Func<ConfigLoader, Task<LoadedConfig>> load)
    {
        await using var services = new ServiceCollection().AddLogging().AddRouting().AddPortico().BuildServiceProvider();
        return await load(services.GetRequiredService<ConfigLoader>());
    }
}
