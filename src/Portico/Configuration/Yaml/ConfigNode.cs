namespace Portico.Configuration.Yaml;

/// <summary>A node of a parsed config document, carrying the 1-based line it started on.</summary>
internal abstract class ConfigNode(int line)
{
    public int Line { get; } = line;

    public abstract string Kind { get; }
}

internal sealed class ScalarNode(int line, string value, bool quoted) : ConfigNode(line)
{
    public string Value { get; } = value;

    /// <summary>True when the scalar was written in quotes, so "null" or "~" stay text.</summary>
    public bool Quoted { get; } = quoted;

    public bool IsNull => !Quoted && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string Kind => "a scalar";
}

internal sealed class SequenceNode(int line, IReadOnlyList<ConfigNode> items) : ConfigNode(line)
{
    public IReadOnlyList<ConfigNode> Items { get; } = items;

    public override string Kind => "a list";
}

internal sealed class MappingNode(int line, IReadOnlyList<KeyValuePair<ScalarNode, ConfigNode>> entries) : ConfigNode(line)
{
    /// <summary>Entries in document order; keys are unique (the reader refuses duplicates).</summary>
    public IReadOnlyList<KeyValuePair<ScalarNode, ConfigNode>> Entries { get; } = entries;

    public override string Kind => "a mapping";
}
