namespace Portico.Configuration;

/// <summary>One problem found in a config file: where it is, which key, and why.</summary>
internal sealed record ConfigError(string File, int Line, string Key, string Reason)
{
    public override string ToString()
    {
        var location = Line > 0 ? $"{File}:{Line}" : File;
        return Key.Length > 0 ? $"{location}: {Key}: {Reason}" : $"{location}: {Reason}";
    }
}
