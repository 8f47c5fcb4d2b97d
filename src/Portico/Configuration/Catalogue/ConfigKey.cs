namespace Portico.Configuration.Catalogue;

/// <summary>
/// One key of portico.yaml. <see cref="Path"/> spells where it sits: dots between keys, a name the
/// operator chooses in capitals (`routes.ID.cluster`, `match.headers.NAME`), and `[]` for an item
/// of a list (`clusters.ID.destinations[].weight`). The reference in docs/configuration.md and the
/// JSON Schema are generated from these entries; tests hold them to the binders.
/// </summary>
internal sealed record ConfigKey
{
    public required string Path { get; init; }

    public required ConfigKind Kind { get; init; }

    /// <summary>What the key does, in Markdown, for the reference and the schema.</summary>
    public required string Description { get; init; }

    /// <summary>
    /// The value the binders use when the key is absent, written as it would be in the file
    /// (`30s`, `[http1]`). A test binds the file with and without it and expects the same settings.
    /// </summary>
    public string? Default { get; init; }

    /// <summary>The default when it is no value one could write ("none", "unlimited"), or a remark after <see cref="Default"/>.</summary>
    public string? DefaultNote { get; init; }

    /// <summary>The binder refuses its section without this key.</summary>
    public bool Required { get; init; }

    /// <summary>
    /// The binder refuses its section without this key unless the section has the sibling named
    /// here (a route's `cluster` unless it has `redirects`): the schema says "one of the two".
    /// </summary>
    public string? RequiredUnless { get; init; }

    /// <summary>A value the binder accepts; required keys need one (tests build configs from them).</summary>
    public string? Example { get; init; }

    /// <summary>For <see cref="ConfigKind.Enum"/> and <see cref="ConfigKind.List"/>: the values allowed.</summary>
    public IReadOnlyList<string> Allowed { get; init; } = [];

    public double? Min { get; init; }

    public double? Max { get; init; }

    /// <summary>What the number counts, when its kind does not say (`bytes per second`, `files`).</summary>
    public string? Unit { get; init; }

    /// <summary>A second form the value may take instead (a route's `waf: block` beside its section).</summary>
    public ConfigKind? OrKind { get; init; }

    /// <summary>For <see cref="ConfigKind.Items"/>: a form an item may take instead of a section (a destination's URL alone).</summary>
    public ConfigKind? ItemOrKind { get; init; }

    /// <summary>
    /// Keys (name, value) this key only works with, such as `algorithm: sliding-window` for
    /// `segments`: a sibling by its name, any other key by its full path.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> Needs { get; init; } = [];

    /// <summary>A section with its own table (and heading) in docs/configuration.md.</summary>
    public bool Table { get; init; }

    /// <summary>The path of the entry this one sits in (a list's items sit in the list); "" for a top-level key.</summary>
    public string Parent
    {
        get
        {
            var dot = Path.LastIndexOf('.');
            var parent = dot < 0 ? "" : Path[..dot];
            return parent.EndsWith("[]", StringComparison.Ordinal) ? parent[..^2] : parent;
        }
    }

    /// <summary>The last part of the path: the key as it is written in its section.</summary>
    public string Name => Path[(Path.LastIndexOf('.') + 1)..];
}
