using System.Globalization;
using Portico.Configuration.Yaml;

namespace Portico.Configuration;

/// <summary>
/// Reads the keys of one mapping for the binder, recording each key's line and reporting, when
/// <see cref="Finish"/> is called, every key nobody asked for (with the nearest known key).
/// </summary>
internal sealed class MapReader
{
    private readonly MappingNode _node;
    private readonly ConfigErrors _errors;
    private readonly ConfigLines _lines;
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    private MapReader(MappingNode node, string path, ConfigErrors errors, ConfigLines lines)
    {
        _node = node;
        Path = path;
        _errors = errors;
        _lines = lines;
        lines.Record(path, node.Line);
    }

    public string Path { get; }

    public int Line => _node.Line;

    public ConfigErrors Errors => _errors;

    public ConfigLines Lines => _lines;

    public IEnumerable<KeyValuePair<ScalarNode, ConfigNode>> Entries => _node.Entries;

    /// <summary>A reader for <paramref name="node"/>, or null (with an error) when it is not a mapping.</summary>
    public static MapReader? For(ConfigNode? node, string path, ConfigErrors errors, ConfigLines lines, int fallbackLine)
    {
        switch (node)
        {
            case MappingNode map:
                return new MapReader(map, path, errors, lines);
            case ScalarNode { IsNull: true }:
                return new MapReader(new MappingNode(node.Line, []), path, errors, lines);
            case null:
                return null;
            default:
                errors.Add(node.Line > 0 ? node.Line : fallbackLine, path, $"expected a mapping, found {node.Kind}");
                return null;
        }
    }

    public string Child(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    /// <summary>A reader for the mapping under <paramref name="key"/>; null when absent (or, with an error, not a mapping).</summary>
    public MapReader? Section(string key) => For(Node(key), Child(key), _errors, _lines, LineOf(key));

    /// <summary>The raw node for <paramref name="key"/>; null when absent or written as null.</summary>
    public ConfigNode? Node(string key)
    {
        _known.Add(key);
        _lines.Asked?.Add(Child(key));
        foreach (var (k, v) in _node.Entries)
        {
            if (k.Value == key)
            {
                _lines.Record(Child(key), k.Line);
                return v is ScalarNode { IsNull: true } ? null : v;
            }
        }

        return null;
    }

    /// <summary>The line of <paramref name="key"/>, or for a missing key the line that names this section.</summary>
    public int LineOf(string key) => _lines.Of(Child(key)) ?? _lines.Of(Path) ?? _node.Line;

    public void Error(string key, string reason) => _errors.Add(LineOf(key), key.Length == 0 ? Path : Child(key), reason);

    public ScalarNode? Scalar(string key)
    {
        var node = Node(key);
        if (node is null or ScalarNode)
        {
            return (ScalarNode?)node;
        }

        Error(key, $"expected a single value, found {node.Kind}");
        return null;
    }

    public string? String(string key) => Scalar(key)?.Value;

    public int? Int(string key, int min, int max)
    {
        var s = Scalar(key);
        if (s is null)
        {
            return null;
        }

        if (!int.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
        {
            Error(key, $"'{s.Value}' is not a whole number from {min} to {max}");
            return null;
        }

        return v;
    }

    public double? Double(string key, double min, double max)
    {
        var s = Scalar(key);
        if (s is null)
        {
            return null;
        }

        if (!double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
        {
            Error(key, $"'{s.Value}' is not a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        return v;
    }

    public bool? Bool(string key)
    {
        var s = Scalar(key);
        if (s is null)
        {
            return null;
        }

        switch (s.Value)
        {
            case "true" or "True" or "yes" or "on":
                return true;
            case "false" or "False" or "no" or "off":
                return false;
            default:
                Error(key, $"'{s.Value}' is not true or false");
                return null;
        }
    }

    public TimeSpan? Duration(string key, bool allowZero = false)
    {
        var s = Scalar(key);
        if (s is null)
        {
            return null;
        }

        if (!Configuration.Duration.TryParse(s.Value, out var v) || (!allowZero && v <= TimeSpan.Zero))
        {
            Error(key, $"'{s.Value}' is not a {(allowZero ? "" : "positive ")}duration (examples: 500ms, 5s, 2m, 1h)");
            return null;
        }

        return v;
    }

    /// <summary>A list of strings; a single scalar is taken as a list of one.</summary>
    public IReadOnlyList<ScalarNode>? ScalarList(string key)
    {
        var node = Node(key);
        switch (node)
        {
            case null:
                return null;
            case ScalarNode s:
                return [s];
            case SequenceNode seq:
                var list = new List<ScalarNode>(seq.Items.Count);
                foreach (var item in seq.Items)
                {
                    if (item is ScalarNode si)
                    {
                        list.Add(si);
                    }
                    else
                    {
                        _errors.Add(item.Line, Child(key), $"expected a list of values, found {item.Kind} in it");
                    }
                }

                return list;
            default:
                Error(key, $"expected a value or a list of values, found {node.Kind}");
                return null;
        }
    }

    public IReadOnlyList<string>? StringList(string key) => ScalarList(key)?.Select(s => s.Value).ToArray();

    /// <summary>Reports every key that was never asked for. Call once, after all reads.</summary>
    public void Finish()
    {
        foreach (var (k, _) in _node.Entries)
        {
            if (!_known.Contains(k.Value))
            {
                var hint = Nearest(k.Value, _known);
                _errors.Add(k.Line, Child(k.Value), hint is null
                    ? $"unknown key (allowed here: {string.Join(", ", _known.Order(StringComparer.Ordinal))})"
                    : $"unknown key; did you mean '{hint}'?");
            }
        }
    }

    private static string? Nearest(string key, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            var d = EditDistance(key.ToLowerInvariant(), c.ToLowerInvariant());
            if (d < bestDistance)
            {
                (best, bestDistance) = (c, d);
            }
        }

        return bestDistance <= Math.Max(2, key.Length / 3) ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            prev[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }

            (prev, cur) = (cur, prev);
        }

        return prev[b.Length];
    }
}
