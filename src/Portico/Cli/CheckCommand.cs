
namespace Portico.Cli;

/// <summary>`portico check -c FILE`: every problem on its own line, exit 1; or a one-line summary, exit 0.</summary>
internal static class CheckCommand
{
    public static async Task<int> RunAsync(CliOptions options, TextWriter stdout, TextWriter stderr)
    {
        if (options.ConfigPath is null)
        {
            await stderr.WriteLineAsync("portico check: -c FILE is required");
            return 2;
        }

        var loaded = await StandaloneLoader.LoadFileAsync(options.ConfigPath);
        if (!loaded.IsValid)
        {
            foreach (var error in loaded.Errors)
            {
                await stderr.WriteLineAsync(error.ToString());
            }

            await stderr.WriteLineAsync($"{loaded.Source}: {loaded.Errors.Count} error(s)");
            return 1;
        }

        await stdout.WriteLineAsync(loaded.Summary);
        return 0;
    }
}
