namespace Portico.Configuration;

/// <summary>File paths in a config: relative ones are taken from the config file's folder, as an operator reads them.</summary>
internal static class ConfigPaths
{
    /// <summary>The absolute path written under <paramref name="key"/>; null when absent or empty (with an error).</summary>
    public static string? Resolve(MapReader m, string key)
    {
        var path = m.String(key);
        if (path is null)
        {
            return null;
        }

        if (path.Length == 0)
        {
            m.Error(key, "give a file path");
            return null;
        }

        return Path.GetFullPath(path, Path.GetDirectoryName(Path.GetFullPath(m.Errors.File)) ?? "/");
    }
}
