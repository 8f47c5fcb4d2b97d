namespace Portico.Configuration;

/// <summary>Key path (e.g. "routes.api.cluster") → line in the file, and the ids each section declares, for errors found after binding.</summary>
internal sealed class ConfigLines
{
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);

    public void Record(string path, int line) => _lines.TryAdd(path, line);

    private readonly Dictionary<string, SortedSet<string>> _declared = new(StringComparer.Ordinal);

    /// <summary>
    /// When set, every key path a binder asks for, present in the file or not: the keys the binders
    /// accept. The catalogue's tests compare it with the catalogue.
    /// </summary>
    public ISet<string>? Asked { get; init; }

    public int? Of(string path) => _lines.TryGetValue(path, out var line) ? line : null;

    /// <summary>Notes that `section.id` is written in the file, whether or not it binds cleanly.</summary>
    public void Declare(string section, string id)
    {
        if (!_declared.TryGetValue(section, out var ids))
        {
            _declared[section] = ids = new SortedSet<string>(StringComparer.Ordinal);
        }

        ids.Add(id);
    }

    public IReadOnlySet<string> Declared(string section) => _declared.TryGetValue(section, out var ids) ? ids : new SortedSet<string>();
}
