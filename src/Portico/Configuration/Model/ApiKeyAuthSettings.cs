namespace Portico.Configuration.Model;

/// <summary>A route's `auth.apiKey`: where the key is read from and which keys are valid.</summary>
internal sealed record ApiKeyAuthSettings
{
    /// <summary>`header`: the request header carrying the key. Default X-Api-Key (none when only `query` is given).</summary>
    public string? Header { get; init; }

    /// <summary>`query`: the query parameter carrying the key. Default: none.</summary>
    public string? Query { get; init; }

    /// <summary>`keys`: keys written in the config, each a name, a SHA-256 hash and scopes. Default: none.</summary>
    public IReadOnlyList<ApiKeyEntry> Keys { get; init; } = [];

    /// <summary>`keyFile`: a YAML file with more keys in the same shape, reloaded when it changes (absolute path). Default: none.</summary>
    public string? KeyFile { get; init; }
}

/// <summary>One API key: its name (passed on to the backend), the SHA-256 of the key, and its scopes.</summary>
internal sealed record ApiKeyEntry(string Name, byte[] Sha256, IReadOnlyList<string> Scopes);
