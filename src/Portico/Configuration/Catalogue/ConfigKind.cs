namespace Portico.Configuration.Catalogue;

/// <summary>The shape of a value in portico.yaml, as the binders read it (MapReader's readers).</summary>
internal enum ConfigKind
{
    /// <summary>A mapping of catalogued keys; written empty (`{}` or nothing) it takes every default.</summary>
    Section,

    /// <summary>A mapping whose keys the operator names (route ids, header names); each value is the child entry.</summary>
    Names,

    /// <summary>A list whose items are the child entries under `PATH[]`.</summary>
    Items,

    Bool,

    /// <summary>A whole number within the key's Min and Max.</summary>
    Int,

    /// <summary>A decimal number within the key's Min and Max.</summary>
    Number,

    String,

    /// <summary>"500ms", "5s", "1m30s", "2h", "1d" (Duration.TryParse).</summary>
    Duration,

    /// <summary>Bytes as "512", "64KiB", "10MiB", "1GiB", "10MB" (ByteSize.TryParse).</summary>
    Size,

    /// <summary>One of the key's Allowed values.</summary>
    Enum,

    /// <summary>A list of values (one value alone is a list of one); Allowed, when given, limits each item.</summary>
    List,
}
