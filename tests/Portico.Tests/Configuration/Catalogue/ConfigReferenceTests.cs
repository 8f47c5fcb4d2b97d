using System.Runtime.CompilerServices;
using System.Text.Json;
using Json.Schema;
using Portico.Configuration;
using Portico.Configuration.Catalogue;
using Portico.Configuration.Yaml;
using YamlDotNet.Serialization;

namespace Portico.Tests.Configuration.Catalogue;

/// <summary>
/// docs/configuration.md and schema/portico.schema.json against the catalogue. After adding or
/// changing a catalogue entry, regenerate both with
/// `PORTICO_UPDATE_DOCS=1 dotnet test --project tests/Portico.Tests --filter-class "*ConfigReferenceTests"`
/// and review the diff (a new table lands at the end of the page: move it where it belongs).
/// </summary>
public sealed class ConfigReferenceTests
{
    private static readonly bool Update = Environment.GetEnvironmentVariable("PORTICO_UPDATE_DOCS") == "1";

    [Fact]
    public void The_reference_documents_every_key_the_binders_accept_with_its_default()
    {
        var path = Path.Combine(RepositoryRoot(), "docs", "configuration.md");
        if (Update)
        {
            File.WriteAllText(path, Regenerate(File.ReadAllText(path)));
        }

        var blocks = Blocks(File.ReadAllText(path));
        var problems = new List<string>();
        foreach (var table in ConfigReference.Tables)
        {
            if (!blocks.ContainsKey(table.Path))
            {
                problems.Add($"section {table.Path} has no table: add the line '{ConfigReference.Begin}{table.Path} -->' where it belongs and rerun with PORTICO_UPDATE_DOCS=1");
            }
        }

        var documented = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (table, text) in blocks)
        {
            foreach (var row in text.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
            {
                var cells = row.Split(" | ");
                documented[$"{table}.{cells[0].Trim('|', ' ', '`')}"] = cells[2];
            }
        }

        var catalogued = ConfigReference.Tables.SelectMany(ConfigReference.Rows).ToDictionary(k => k.Path, StringComparer.Ordinal);
        problems.AddRange(catalogued.Keys.Where(k => !documented.ContainsKey(k)).Select(k => $"{k} (a key the binders accept) is missing from docs/configuration.md"));
        problems.AddRange(documented.Keys.Where(k => !catalogued.ContainsKey(k)).Select(k => $"{k} is documented but is not a key of portico.yaml"));
        foreach (var (key, documentedDefault) in documented.Where(d => catalogued.ContainsKey(d.Key)))
        {
            var actual = ConfigReference.Default(catalogued[key]);
            if (documentedDefault != actual)
            {
                problems.Add($"{key}: the documented default is {documentedDefault}, the binders' is {actual}");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        foreach (var table in ConfigReference.Tables)
        {
            Assert.Equal(ConfigReference.Block(table), blocks[table.Path]);
        }
    }

    [Fact]
    public void Every_key_is_a_row_of_some_table()
    {
        // A key outside every table is in the schema but nowhere in the reference (the top-level
        // errorPages was). Tables are headings, not rows; a section that only holds tables
        // (`clusters` above `clusters.ID`) is described by the prose around them.
        var holdsTables = ConfigCatalogue.All.Where(k => k.Table).Select(k => k.Parent).ToHashSet(StringComparer.Ordinal);
        var tableless = ConfigCatalogue.All
            .Where(k => !k.Table && !holdsTables.Contains(k.Path))
            .Where(k => !ConfigReference.Tables.Any(t => ConfigReference.Rows(t).Contains(k)))
            .Select(k => k.Path);
        Assert.Empty(tableless);
    }

    [Fact]
    public void The_shipped_schema_is_the_generated_one()
    {
        var path = Path.Combine(RepositoryRoot(), "schema", "portico.schema.json");
        if (Update)
        {
            File.WriteAllText(path, ConfigSchema.Generate());
        }

        Assert.Equal(ConfigSchema.Generate(), File.ReadAllText(path));
    }

    public static TheoryData<string> Examples() => [.. Directory.GetFiles(Path.Combine(RepositoryRoot(), "examples"), "*.yaml").Select(Path.GetFileName).OfType<string>()];

    [Theory]
    [MemberData(nameof(Examples))]
    public void Every_example_config_satisfies_the_schema(string name)
    {
        var results = Validate(File.ReadAllText(Path.Combine(RepositoryRoot(), "examples", name)));

        Assert.True(results.IsValid, Describe(results));
    }

    [Theory]
    [InlineData("listeners: { main: { address: \"127.0.0.1:8080\", adress: x } }")]
    [InlineData("listeners: { main: { address: \"127.0.0.1:8080\" } }\nrotes: {}")]
    [InlineData("listeners: { main: { address: \"127.0.0.1:8080\" } }\nclusters: { app: { destinations: [http://127.0.0.1:9001], loadBalancing: fastest } }")]
    [InlineData("listeners: { main: { address: \"127.0.0.1:8080\" } }\nproxy: { shutdownGracePeriod: 30 }")]
    [InlineData("routes: {}")]
    [InlineData("listeners: { main: { address: \"127.0.0.1:8080\" } }\nroutes: { old: { match: { pathPrefix: /old } } }")]
    public void A_config_with_an_unknown_key_or_a_wrong_value_does_not_satisfy_it(string yaml)
    {
        Assert.False(Validate(yaml).IsValid);
    }

    /// <summary>The binder takes a route without `cluster` when it has `redirects` (issue 22): so does the schema.</summary>
    [Fact]
    public void A_route_that_only_redirects_satisfies_it()
    {
        const string yaml = "listeners: { main: { address: \"127.0.0.1:8080\" } }\nroutes: { old: { match: { pathPrefix: /old }, redirects: [{ path: /old, to: /new, status: 301 }] } }";
        var results = Validate(yaml);

        Assert.True(results.IsValid, Describe(results));
        Assert.Empty(BindErrors(yaml));
    }

    private static IReadOnlyList<ConfigError> BindErrors(string yaml)
    {
        var errors = new ConfigErrors("portico.yaml");
        var root = YamlTreeReader.Read(yaml, errors);
        Assert.NotNull(root);
        ConfigBinder.Bind(root, errors, new ConfigLines());
        return errors.All;
    }

    private static EvaluationResults Validate(string yaml)
    {
        var schema = JsonSchema.FromText(ConfigSchema.Generate());

        // YAML 1.2's core types, as an editor's YAML language server reads the file.
        var document = new DeserializerBuilder().WithAttemptingUnquotedStringTypeDeserialization().Build().Deserialize(new StringReader(yaml));
        var json = new SerializerBuilder().JsonCompatible().Build().Serialize(document);
        return schema.Evaluate(JsonDocument.Parse(json).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    private static string Describe(EvaluationResults results)
        => string.Join("\n", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).Select(d => $"{d.InstanceLocation}: {string.Join("; ", d.Errors!.Values)}"));

    private static Dictionary<string, string> Blocks(string text)
    {
        var blocks = new Dictionary<string, string>(StringComparer.Ordinal);
        var at = 0;
        while ((at = text.IndexOf(ConfigReference.Begin, at, StringComparison.Ordinal)) >= 0)
        {
            var end = text.IndexOf(ConfigReference.End, at, StringComparison.Ordinal);
            Assert.True(end > at, $"a generated table at offset {at} has no end marker");
            end += ConfigReference.End.Length + 1;
            var path = text[(at + ConfigReference.Begin.Length)..text.IndexOf(" -->", at, StringComparison.Ordinal)];
            Assert.True(blocks.TryAdd(path, text[at..end]), $"the table of {path} appears twice");
            at = end;
        }

        return blocks;
    }

    private static string Regenerate(string text)
    {
        var blocks = Blocks(text);
        foreach (var table in ConfigReference.Tables)
        {
            text = blocks.TryGetValue(table.Path, out var old)
                ? text.Replace(old, ConfigReference.Block(table), StringComparison.Ordinal)
                : text.TrimEnd('\n') + "\n\n" + ConfigReference.Block(table);
        }

        foreach (var (path, old) in blocks.Where(b => ConfigCatalogue.Find(b.Key) is not { Table: true }))
        {
            text = text.Replace(old, "", StringComparison.Ordinal);
        }

        return text;
    }

    private static string RepositoryRoot([CallerFilePath] string path = "")
        => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", "..", "..", ".."));
}
