namespace Portico.Headers;

/// <summary>What a header rule does to its field.</summary>
internal enum HeaderAction
{
    /// <summary>`remove`: the field is taken out.</summary>
    Remove,

    /// <summary>`set`: the field has this value alone, whatever it had.</summary>
    Set,

    /// <summary>`append`: this value is added as one more field line (RFC 9110 §5.3 combines them as a list).</summary>
    Append,
}
