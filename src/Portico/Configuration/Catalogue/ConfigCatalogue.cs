namespace Portico.Configuration.Catalogue;

/// <summary>
/// Every key of portico.yaml, in the order the reference lists them. A new key is one entry in
/// its concern's list here (a new top-level concern adds its list to <see cref="All"/>); the
/// reference tables in docs/configuration.md and schema/portico.schema.json are then regenerated
/// (tests/Portico.Tests/Configuration/Catalogue/ConfigReferenceTests says how), and tests prove the entry
/// matches what the binders accept and the default they apply.
/// </summary>
internal static class ConfigCatalogue
{
    public static IReadOnlyList<ConfigKey> All { get; } =
    [
        .. ListenerKeys.All,
        .. ServerKeys.All,
        .. RouteKeys.All,
        .. AuthKeys.All,
        .. ClusterKeys.All,
    ];

    private static readonly Dictionary<string, ConfigKey> ByPath = All.ToDictionary(k => k.Path, StringComparer.Ordinal);

    public static ConfigKey? Find(string path) => ByPath.GetValueOrDefault(path);

    /// <summary>The entries directly inside <paramref name="path"/> ("" for the top level), in catalogue order.</summary>
    public static IEnumerable<ConfigKey> ChildrenOf(string path) => All.Where(k => k.Parent == path);
}
