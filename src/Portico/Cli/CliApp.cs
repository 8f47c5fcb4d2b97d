using Portico.Configuration.Catalogue;

namespace Portico.Cli;

/// <summary>`portico run|check|schema|version`: parses the command line and hands over to a command.</summary>
internal static class CliApp
{
    public const string Usage = """
        usage: portico <command> [options]

        commands:
          run [-c FILE]    start the proxy with FILE (default ./portico.yaml if present,
                           otherwise a built-in demo on http://127.0.0.1:8080)
          check -c FILE    validate FILE; prints every problem as file:line: key: reason
          schema           print the JSON Schema of the config file (for editors)
          version          print the version

        options:
          -c, --config FILE   the config file (YAML or JSON)
          --demo-listen ADDR  where the built-in demo listens (default 127.0.0.1:8080)
          --demo-admin ADDR   the demo's admin listener and dashboard (default 127.0.0.1:9090)
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Out.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        if (!TryParseOptions(args.AsSpan(1), out var options, out var problem))
        {
            Console.Error.WriteLine($"portico: {problem}\n\n{Usage}");
            return 2;
        }

        switch (args[0])
        {
            case "version" or "--version":
                Console.Out.WriteLine(VersionInfo.Describe());
                return 0;
            case "schema":
                Console.Out.Write(ConfigSchema.Generate());
                return 0;
            case "check":
                return await CheckCommand.RunAsync(options, Console.Out, Console.Error);
            case "run":
                return await RunCommand.RunAsync(options);
            default:
                Console.Error.WriteLine($"portico: unknown command '{args[0]}'\n\n{Usage}");
                return 2;
        }
    }

    private static bool TryParseOptions(ReadOnlySpan<string> args, out CliOptions options, out string problem)
    {
        options = new CliOptions();
        problem = "";
        for (var i = 0; i < args.Length; i++)
        {
            var needsValue = args[i] is "-c" or "--config" or "--demo-listen" or "--demo-admin";
            if (needsValue && i + 1 >= args.Length)
            {
                problem = $"{args[i]} needs a value";
                return false;
            }

            switch (args[i])
            {
                case "-c" or "--config":
                    options = options with { ConfigPath = args[++i] };
                    break;
                case "--demo-listen":
                    options = options with { DemoListen = args[++i] };
                    break;
                case "--demo-admin":
                    options = options with { DemoAdmin = args[++i] };
                    break;
                default:
                    problem = $"unknown option '{args[i]}'";
                    return false;
            }
        }

        return true;
    }
}

internal sealed record CliOptions
{
    public string? ConfigPath { get; init; }

    public string DemoListen { get; init; } = "127.0.0.1:8080";

    public string DemoAdmin { get; init; } = "127.0.0.1:9090";
}
