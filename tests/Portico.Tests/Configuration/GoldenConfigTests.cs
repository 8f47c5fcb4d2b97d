using Portico.Cli;

namespace Portico.Tests.Configuration;

/// <summary>
/// Each Golden/NAME.yaml (or .json) is loaded through the same loader `portico check` uses; its
/// output must equal Golden/NAME.expected word for word: every error as file:line: key: reason,
/// or the one-line summary of a valid file. Set PORTICO_UPDATE_GOLDEN=1 to rewrite the
/// expectations from the source tree, then review the diff.
/// </summary>
public sealed class GoldenConfigTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Configuration", "Golden")).Where(f => !f.EndsWith(".expected", StringComparison.Ordinal)).Order())
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Config_file_gives_exactly_the_expected_output(string name)
    {
        var text = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Configuration", "Golden", name), TestContext.Current.CancellationToken);

        var loaded = await StandaloneLoader.LoadTextAsync(text, name);
        var actual = loaded.IsValid ? loaded.Summary + "\n" : string.Concat(loaded.Errors.Select(e => e + "\n"));

        var expectedName = Path.ChangeExtension(name, ".expected");
        if (Environment.GetEnvironmentVariable("PORTICO_UPDATE_GOLDEN") == "1")
        {
            await File.WriteAllTextAsync(Path.Combine(SourceDirectory(), expectedName), actual, TestContext.Current.CancellationToken);
        }

        var expected = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Configuration", "Golden", expectedName), TestContext.Current.CancellationToken);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task Every_example_config_is_valid()
    {
        var examples = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "examples"), "*.yaml");
        Assert.NotEmpty(examples);
        foreach (var example in examples)
        {
            var loaded = await StandaloneLoader.LoadFileAsync(example);
            Assert.True(loaded.IsValid, string.Join("\n", loaded.Errors));
        }
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "")
        => Path.Combine(Path.GetDirectoryName(path)!, "Golden");
}
