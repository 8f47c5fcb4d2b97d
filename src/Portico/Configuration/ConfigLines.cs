namespace Portico.Configuration;

/// <summary>Key path (e.g. "routes.api.cluster") → line in the file, for errors found after binding.</summary>
internal sealed class ConfigLines
{
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);

    public void Record(string path, int line) => _lines.TryAdd(path, line);

    public int? Of(string path) => _lines.TryGetValue(path, out var line) ? line : null;
}
