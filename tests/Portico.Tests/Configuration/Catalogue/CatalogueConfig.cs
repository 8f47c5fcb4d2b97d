using System.Text.Json;
using Portico.Configuration;
using Portico.Configuration.Catalogue;
using Portico.Configuration.Model;
using Portico.Configuration.Yaml;

namespace Portico.Tests.Configuration.Catalogue;

/// <summary>
/// A config file built from catalogue paths (`routes.ID.cache.heuristic`), each name the operator
/// picks written as <see cref="Name"/> and each list as one item, then bound by the real binders.
/// </summary>
internal sealed class CatalogueConfig
{
    public const string Name = "n1";

    private readonly Dictionary<string, object> _root = new(StringComparer.Ordinal);

    /// <summary>Sets the value (as written in YAML) at a catalogue path, creating the sections above it.</summary>
    public CatalogueConfig Set(string path, object value)
    {
        var (parent, key) = Walk(path);
        parent[key] = value;
        return this;
    }

    /// <summary>Makes the entry at <paramref name="path"/> exist as what its kind holds (a section, one named section, one list item).</summary>
    public CatalogueConfig Ensure(ConfigKey entry)
    {
        var (parent, key) = Walk(entry.Path);
        switch (entry.Kind)
        {
            case ConfigKind.Items when parent.GetValueOrDefault(key) is not List<object>:
                parent[key] = new List<object> { new Dictionary<string, object>(StringComparer.Ordinal) };
                break;
            case ConfigKind.Section or ConfigKind.Names when parent.GetValueOrDefault(key) is not Dictionary<string, object>:
                parent[key] = new Dictionary<string, object>(StringComparer.Ordinal);
                break;
        }

        return this;
    }

    /// <summary>The smallest file in which the entry can be written: its sections, and the keys they require.</summary>
    public static CatalogueConfig Around(ConfigKey entry)
    {
        var config = new CatalogueConfig();
        config.FillRequired("");
        var chain = new List<ConfigKey>();
        for (var e = ConfigCatalogue.Find(entry.Parent); e is not null; e = ConfigCatalogue.Find(e.Parent))
        {
            chain.Insert(0, e);
        }

        foreach (var section in chain)
        {
            config.Ensure(section);
            config.FillRequired(section.Path);
        }

        foreach (var (key, value) in entry.Needs)
        {
            var sibling = $"{entry.Parent}{(entry.Path.Contains($"{entry.Parent}[].", StringComparison.Ordinal) ? "[]" : "")}.{key}";
            config.Set(key.Contains('.', StringComparison.Ordinal) ? key : sibling, value);
        }

        return config;
    }

    /// <summary>Writes the required keys of a section from their examples (a required list of names gets one).</summary>
    public void FillRequired(string path)
    {
        foreach (var child in ConfigCatalogue.ChildrenOf(path).Where(c => c.Required || c.RequiredUnless is not null))
        {
            if (child.Example is { } example)
            {
                var (parent, key) = Walk(child.Path);
                parent.TryAdd(key, example);
            }
            else
            {
                Ensure(child);
                foreach (var inner in ConfigCatalogue.ChildrenOf(child.Path))
                {
                    Ensure(inner);
                    FillRequired(inner.Path);
                }
            }
        }
    }

    /// <summary>The file as YAML flow style: every value a plain item of a flow collection or quoted.</summary>
    public string Text() => Emit(_root);

    public (PorticoSettings? Settings, IReadOnlyList<ConfigError> Errors) Bind(string file, ISet<string>? asked = null)
    {
        var errors = new ConfigErrors(file);
        var root = YamlTreeReader.Read(Text(), errors);
        var settings = root is null ? null : ConfigBinder.Bind(root, errors, new ConfigLines { Asked = asked });
        return (settings, errors.All);
    }

    private (Dictionary<string, object> Parent, string Key) Walk(string path)
    {
        var node = _root;
        var segments = path.Split('.');
        for (var i = 0; i < segments.Length; i++)
        {
            var isItem = segments[i].EndsWith("[]", StringComparison.Ordinal);
            var key = Concrete(segments[i].TrimEnd('[', ']'));
            if (i == segments.Length - 1)
            {
                return (node, key);
            }

            if (isItem)
            {
                if (node.GetValueOrDefault(key) is not List<object> { Count: > 0 } list || list[0] is not Dictionary<string, object>)
                {
                    node[key] = list = [new Dictionary<string, object>(StringComparer.Ordinal)];
                }

                node = (Dictionary<string, object>)list[0];
                continue;
            }

            if (node.GetValueOrDefault(key) is not Dictionary<string, object> next)
            {
                node[key] = next = new Dictionary<string, object>(StringComparer.Ordinal);
            }

            node = next;
        }

        throw new ArgumentException("empty path", nameof(path));
    }

    /// <summary>A name the operator picks is written in capitals in the catalogue (ID, NAME, STATUS).</summary>
    public static bool IsPlaceholder(string segment) => segment.Length > 0 && segment.All(char.IsAsciiLetterUpper);

    // A page's status is a name the operator picks among the error statuses, not any name.
    private static string Concrete(string segment) => segment == "STATUS" ? "503" : IsPlaceholder(segment) ? Name : segment;

    private static string Emit(object value) => value switch
    {
        Dictionary<string, object> map => "{" + string.Join(", ", map.Select(e => $"{e.Key}: {Emit(e.Value)}")) + "}",
        List<object> list => "[" + string.Join(", ", list.Select(Emit)) + "]",
        string s when s.StartsWith('[') || s.StartsWith('{') || s.StartsWith('"') || s.StartsWith('\'') => s,
        string s => JsonSerializer.Serialize(s),
        _ => throw new ArgumentException($"cannot write {value}"),
    };
}
