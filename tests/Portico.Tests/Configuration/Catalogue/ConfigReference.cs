using System.Globalization;
using System.Text;
using Portico.Configuration.Catalogue;

namespace Portico.Tests.Configuration.Catalogue;

/// <summary>
/// The tables of docs/configuration.md, generated from the catalogue: one per section marked as
/// a table, each between `&lt;!-- generated from the catalogue: PATH --&gt;` and
/// <see cref="End"/>. Prose around them is written by hand.
/// </summary>
internal static class ConfigReference
{
    public const string Begin = "<!-- generated from the catalogue: ";

    public const string End = "<!-- end of generated table -->";

    public static IEnumerable<ConfigKey> Tables => ConfigCatalogue.All.Where(k => k.Table);

    /// <summary>The rows of a table: the entries whose nearest enclosing table it is.</summary>
    public static IEnumerable<ConfigKey> Rows(ConfigKey table) => ConfigCatalogue.All.Where(k => TableOf(k) == table.Path);

    public static string Block(ConfigKey table)
    {
        var text = new StringBuilder();
        text.Append(Begin).Append(table.Path).Append(" -->\n");
        text.Append("### `").Append(table.Path).Append("`\n");
        text.Append(table.Description).Append("\n\n");
        text.Append("| key | type | default | meaning |\n|---|---|---|---|\n");
        foreach (var row in Rows(table))
        {
            text.Append(CultureInfo.InvariantCulture, $"| `{row.Path[(table.Path.Length + 1)..]}` | {Type(row)} | {Default(row)} | {row.Description} |\n");
        }

        text.Append(End).Append('\n');
        return text.ToString();
    }

    public static string Default(ConfigKey key) => (key.Required, key.Default, key.DefaultNote) switch
    {
        (true, _, _) => "required",
        _ when key.RequiredUnless is { } other => $"required unless `{other}` is given",
        (_, { } value, var note) => $"`{value}`{note}",
        (_, null, { } note) => note,
        _ => "",
    };

    public static string Type(ConfigKey key)
    {
        var type = Kind(key.Kind, key);
        if (key.Kind == ConfigKind.Items && key.ItemOrKind is { } item)
        {
            type = $"list of sections or {Kind(item, key)}s";
        }

        if (key.OrKind is { } other)
        {
            type = $"{type}, or {Kind(other, key)}";
        }

        return key.Unit is null ? type : $"{type}, {key.Unit}";
    }

    private static string Kind(ConfigKind kind, ConfigKey key) => kind switch
    {
        ConfigKind.Section => "section",
        ConfigKind.Names => "names",
        ConfigKind.Items => "list of sections",
        ConfigKind.Bool => "bool",
        ConfigKind.Int or ConfigKind.Number => Range(kind == ConfigKind.Int ? "integer" : "number", key),
        ConfigKind.String => "string",
        ConfigKind.Duration => "duration",
        ConfigKind.Size => "size",
        ConfigKind.Enum => "one of " + string.Join(", ", key.Allowed.Select(a => $"`{a}`")),
        ConfigKind.List => key.Allowed.Count == 0 ? "list" : "list of " + string.Join(", ", key.Allowed.Select(a => $"`{a}`")),
        _ => kind.ToString(),
    };

    private static string Range(string name, ConfigKey key) => key.Max is int.MaxValue or null
        ? $"{name} ≥ {key.Min?.ToString(CultureInfo.InvariantCulture)}"
        : $"{name} {key.Min?.ToString(CultureInfo.InvariantCulture)}–{key.Max?.ToString(CultureInfo.InvariantCulture)}";

    private static string? TableOf(ConfigKey key)
    {
        for (var e = ConfigCatalogue.Find(key.Parent); e is not null; e = ConfigCatalogue.Find(e.Parent))
        {
            if (e.Table)
            {
                return e.Path;
            }
        }

        return null;
    }
}
