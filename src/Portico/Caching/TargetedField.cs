using Microsoft.Extensions.Primitives;

namespace Portico.Caching;

/// <summary>
/// Targeted cache control (RFC 9213). Portico's target list is the field `cache.targetedField`
/// names, if any, then `CDN-Cache-Control`: the first of them present with a valid, non-empty
/// value gives the response's directives for this cache, and its Cache-Control and Expires are
/// set aside (§2.2); with none, Cache-Control and Expires count as usual. A targeted field is a
/// Structured Fields Dictionary (RFC 8941 §3.2): a value that does not parse, or a known directive
/// whose value has the wrong type (`max-age="60"`, `max-age=1.5`), makes the whole field invalid,
/// so the next one down the list counts. Both fields are forwarded as they came (§2.1 lets a
/// cache forward them): a CDN in front of Portico reads its own field; an operator who wants
/// Portico's hidden lists it in `proxy.hideResponseHeaders`.
/// </summary>
internal static class TargetedField
{
    public const string Cdn = "CDN-Cache-Control";

    // RFC 9111 §5.2.2 directives with no argument, and the ones with delta-seconds.
    private static readonly string[] Flags = ["no-store", "public", "must-revalidate", "proxy-revalidate", "immutable", "no-transform", "must-understand"];

    private static readonly string[] Durations = ["max-age", "s-maxage", "stale-while-revalidate", "stale-if-error"];

    /// <summary>The response's directives for this cache: the first usable targeted field's, else Cache-Control's.</summary>
    /// <param name="field">The response's lines of a field, by name.</param>
    public static CacheDirectives Directives(Func<string, StringValues> field, string? own)
    {
        foreach (var name in own is null ? [Cdn] : new[] { own, Cdn })
        {
            if (Parse(field(name)) is { } targeted)
            {
                return targeted;
            }
        }

        return CacheDirectives.Parse(field("Cache-Control"));
    }

    /// <summary>The directives of one targeted field; null when it is absent, empty or invalid.</summary>
    internal static CacheDirectives? Parse(StringValues lines)
    {
        var members = StructuredDictionary.Parse(string.Join(',', lines.ToArray()));
        if (members is null || members.Count == 0)
        {
            return null;
        }

        var items = new List<(string, string?, bool)>();
        foreach (var (name, value) in members)
        {
            if (Item(name, value) is not { } item)
            {
                return null;
            }

            if (item.Present)
            {
                items.Add((name, item.Value, true));
            }
        }

        return CacheDirectives.From(items, targeted: true);
    }

    /// <summary>A member as a directive: present or not (`?0`), its value; null when a known directive has a value of the wrong type.</summary>
    private static (bool Present, string? Value)? Item(string name, StructuredDictionary.Value value)
    {
        if (Durations.Contains(name))
        {
            return value.Kind == StructuredDictionary.Kind.Integer && !value.Text.StartsWith('-') ? (true, value.Text) : null;
        }

        if (name is "no-cache" or "private")
        {
            return value.Kind switch
            {
                StructuredDictionary.Kind.Boolean => (value.Text == "1", null),
                StructuredDictionary.Kind.String => (true, value.Text),
                _ => null,
            };
        }

        if (Flags.Contains(name))
        {
            return value.Kind == StructuredDictionary.Kind.Boolean ? (value.Text == "1", null) : null;
        }

        // An extension directive: not one Portico acts on, whatever its value.
        return (false, null);
    }
}
