using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Portico.Configuration.Catalogue;

/// <summary>
/// The JSON Schema (draft-07, the draft yaml-language-server supports best) of portico.yaml,
/// generated from <see cref="ConfigCatalogue"/>: editors complete keys, show each key's
/// description and default, and flag unknown keys and values of the wrong shape. The binders
/// stay the judge of what is valid; the schema states the same rules as far as JSON Schema can.
/// </summary>
internal static class ConfigSchema
{
    private const string IdPattern = "^[A-Za-z0-9_.-]+$";
    private const string DurationPattern = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$";
    private const string SizePattern = "^[0-9]+(\\.[0-9]+)?\\s*(KiB|MiB|GiB|KB|MB|GB|B)?$";

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        // Descriptions keep their typography (…, →, §) readable in the shipped file.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Generate()
    {
        var top = Section("");
        var properties = top["properties"]!;
        var required = top["required"]!;
        top.Remove("properties");
        top.Remove("required");
        var root = new JsonObject
        {
            ["$schema"] = "http://json-schema.org/draft-07/schema#",
            ["title"] = "portico.yaml",
            ["description"] = "Portico's config file; the reference is docs/configuration.md. Top-level keys starting with x- are yours (YAML anchors, notes).",
            ["type"] = "object",
            ["properties"] = properties,
            ["patternProperties"] = new JsonObject { ["^x-"] = new JsonObject() },
            ["additionalProperties"] = false,
            ["required"] = required,
        };
        return root.ToJsonString(Options) + "\n";
    }

    private static JsonObject For(ConfigKey key)
    {
        var primary = key.Kind switch
        {
            ConfigKind.Section => Section(key.Path),
            ConfigKind.Names => Names(key),
            ConfigKind.Items => new JsonObject { ["type"] = "array", ["items"] = Item(key) },
            _ => Scalar(key.Kind, key),
        };
        var schema = key.OrKind is { } alternative
            ? new JsonObject { ["anyOf"] = new JsonArray(primary, Alternative(alternative, key)) }
            : primary;
        var described = new JsonObject { ["description"] = key.Description + DefaultText(key) };
        if (key.Default is { } value)
        {
            described["default"] = Literal(key.Kind, value);
        }

        foreach (var (name, node) in schema.ToArray())
        {
            schema.Remove(name);
            described[name] = node;
        }

        return described;
    }

    private static string DefaultText(ConfigKey key) => (key.Default, key.DefaultNote, key.Required) switch
    {
        (_, _, true) => " Required.",
        _ when key.RequiredUnless is { } other => $" Required unless `{other}` is given.",
        (null, null, _) => "",
        (null, { } note, _) => $" Default: {note}.",
        ({ } value, var note, _) => $" Default: {value}{note}.",
    };

    private static JsonObject Section(string path)
    {
        var properties = new JsonObject();
        var required = new JsonArray();
        var eitherOr = new JsonArray();
        foreach (var child in ConfigCatalogue.ChildrenOf(path))
        {
            properties[child.Name] = For(child);
            if (child.Required)
            {
                required.Add(child.Name);
            }

            if (child.RequiredUnless is { } other)
            {
                eitherOr.Add(new JsonObject { ["anyOf"] = new JsonArray(new JsonObject { ["required"] = new JsonArray(child.Name) }, new JsonObject { ["required"] = new JsonArray(other) }) });
            }
        }

        var section = new JsonObject
        {
            // An empty section (`cache:` with nothing after it) takes every default.
            ["type"] = path.Length == 0 ? "object" : new JsonArray("object", "null"),
            ["properties"] = properties,
            ["additionalProperties"] = false,
        };
        if (required.Count > 0)
        {
            section["required"] = required;
        }

        if (eitherOr.Count > 0)
        {
            // `required` holds for objects only, so a null section (every default) still passes.
            section["allOf"] = eitherOr;
        }

        return section;
    }

    private static JsonObject Names(ConfigKey key)
    {
        var child = ConfigCatalogue.ChildrenOf(key.Path).Single();
        var names = new JsonObject { ["type"] = new JsonArray("object", "null"), ["additionalProperties"] = For(child) };
        if (key.Parent.Length == 0)
        {
            names["propertyNames"] = new JsonObject { ["pattern"] = IdPattern };
        }

        return names;
    }

    /// <summary>An item of a list: the section of the entries under PATH[], or the item's other form.</summary>
    private static JsonObject Item(ConfigKey key)
    {
        var section = Section(key.Path);
        return key.ItemOrKind is { } other
            ? new JsonObject { ["anyOf"] = new JsonArray(section, Scalar(other, key)) }
            : section;
    }

    private static JsonObject Alternative(ConfigKind kind, ConfigKey key) => kind switch
    {
        ConfigKind.Section => Section(key.Path),
        _ => Scalar(kind, key),
    };

    private static JsonObject Scalar(ConfigKind kind, ConfigKey key)
    {
        var schema = kind switch
        {
            ConfigKind.Bool => new JsonObject { ["type"] = "boolean" },
            ConfigKind.Int => new JsonObject { ["type"] = "integer" },
            ConfigKind.Number => new JsonObject { ["type"] = "number" },
            ConfigKind.String => new JsonObject { ["type"] = "string" },
            ConfigKind.Duration => new JsonObject { ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "string", ["pattern"] = DurationPattern }, new JsonObject { ["const"] = 0 }) },
            ConfigKind.Size => new JsonObject { ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "string", ["pattern"] = SizePattern }, new JsonObject { ["type"] = "integer", ["minimum"] = 0 }) },
            ConfigKind.Enum => new JsonObject { ["enum"] = Allowed(key) },
            ConfigKind.List => ListOf(key),
            _ => throw new InvalidOperationException($"{key.Path}: {kind} is not a scalar kind"),
        };
        if (kind is ConfigKind.Int or ConfigKind.Number)
        {
            if (key.Min is { } min)
            {
                schema["minimum"] = min;
            }

            if (key.Max is { } max)
            {
                schema["maximum"] = max;
            }
        }

        return schema;
    }

    /// <summary>A list, or one value alone (the binders take it as a list of one).</summary>
    private static JsonObject ListOf(ConfigKey key)
    {
        JsonObject Item() => key.Allowed.Count > 0 ? new JsonObject { ["enum"] = Allowed(key) } : new JsonObject { ["type"] = new JsonArray("string", "number") };
        return new JsonObject { ["anyOf"] = new JsonArray(Item(), new JsonObject { ["type"] = "array", ["items"] = Item() }) };
    }

    /// <summary>The allowed values; one that reads as a number is also allowed as that number, as YAML types it.</summary>
    private static JsonArray Allowed(ConfigKey key)
    {
        var values = new JsonArray();
        foreach (var value in key.Allowed)
        {
            values.Add(value);
        }

        foreach (var value in key.Allowed)
        {
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                values.Add(number);
            }
        }

        return values;
    }

    /// <summary>A default as written in the file, as the JSON value YAML would give it.</summary>
    private static JsonNode Literal(ConfigKind kind, string text)
    {
        if (kind == ConfigKind.List || text.StartsWith('['))
        {
            var items = new JsonArray();
            foreach (var item in text.Trim('[', ']').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                items.Add(item);
            }

            return items;
        }

        var unquoted = text.Trim('"');
        return kind switch
        {
            ConfigKind.Bool => JsonValue.Create(unquoted == "true"),
            ConfigKind.Int or ConfigKind.Number or ConfigKind.Size when unquoted == text && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
            _ => JsonValue.Create(unquoted),
        };
    }
}
