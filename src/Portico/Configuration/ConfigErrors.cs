namespace Portico.Configuration;

/// <summary>Collects every error of one load; a config is applied only when this stays empty.</summary>
internal sealed class ConfigErrors(string file)
{
    private readonly List<ConfigError> _errors = [];

    public string File { get; } = file;

    public IReadOnlyList<ConfigError> All => _errors;

    public bool Any => _errors.Count > 0;

    public void Add(int line, string key, string reason) => _errors.Add(new ConfigError(File, line, key, reason));
}
