using Microsoft.Extensions.Primitives;

namespace Portico.Caching;

/// <summary>
/// The `Cache-Control` directives of a request or response (RFC 9111 §5.2), parsed once.
/// Durations are in whole seconds; an invalid value disables its directive (`max-age` and
/// `s-maxage` then make the response stale, <see cref="InvalidFreshness"/>), except `max-stale`,
/// whose value is optional (absent: any staleness).
/// </summary>
internal sealed class CacheDirectives
{
    public static readonly CacheDirectives None = new();

    public bool NoStore { get; private set; }

    /// <summary>Unqualified `no-cache`: every reuse needs validation.</summary>
    public bool NoCache { get; private set; }

    /// <summary>`no-cache="a, b"`: these fields may not be sent without validation (§5.2.2.4).</summary>
    public IReadOnlyList<string> NoCacheFields { get; private set; } = [];

    /// <summary>Unqualified `private`: a shared cache must not store it.</summary>
    public bool Private { get; private set; }

    /// <summary>`private="a"`: these fields must not be stored by a shared cache (§5.2.2.7).</summary>
    public IReadOnlyList<string> PrivateFields { get; private set; } = [];

    public bool Public { get; private set; }

    public bool MustRevalidate { get; private set; }

    public bool ProxyRevalidate { get; private set; }

    public bool Immutable { get; private set; }

    public bool NoTransform { get; private set; }

    public bool OnlyIfCached { get; private set; }

    /// <summary>`must-understand` (§5.2.2.3): stored only by a cache that knows the status code's caching rules; such a cache sets `no-store` aside.</summary>
    public bool MustUnderstand { get; private set; }

    public long? MaxAge { get; private set; }

    public long? SharedMaxAge { get; private set; }

    public long? MaxStale { get; private set; }

    public long? MinFresh { get; private set; }

    public long? StaleWhileRevalidate { get; private set; }

    public long? StaleIfError { get; private set; }

    /// <summary>
    /// `max-age` or `s-maxage` whose first occurrence is not delta-seconds ("60a", "1.5", "'60'",
    /// or written with spaces around '='): RFC 9111 §4.2.1 encourages treating such a response as
    /// stale, so its lifetime is zero whatever Expires says.
    /// </summary>
    public bool InvalidFreshness { get; private set; }

    /// <summary>Read from a targeted field (RFC 9213 §2.2): the response's Cache-Control and Expires do not count for this cache.</summary>
    public bool Targeted { get; private init; }

    /// <summary>
    /// Reads the directives of every line (RFC 9110 §5.3: lines are one comma-separated list).
    /// A directive given twice counts once, as first given (RFC 9111 §4.2.1); a malformed
    /// `no-store`, `no-cache` or `private` counts as the unqualified one, the most restrictive reading.
    /// </summary>
    public static CacheDirectives Parse(StringValues values)
        => StringValues.IsNullOrEmpty(values) ? None : From(Split(values.ToString()), targeted: false);

    /// <summary>
    /// The directives of (name lower-cased, value or null, well-formed) items; <paramref name="targeted"/>
    /// when they come from a targeted field (RFC 9213), which sets aside Expires as well as Cache-Control.
    /// </summary>
    internal static CacheDirectives From(IEnumerable<(string Name, string? Value, bool WellFormed)> items, bool targeted)
    {
        var d = new CacheDirectives { Targeted = targeted };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value, wellFormed) in items)
        {
            if (!wellFormed)
            {
                d.Malformed(name);
                continue;
            }

            if (!seen.Add(name))
            {
                continue;
            }

            switch (name)
            {
                case "no-store": d.NoStore = true; break;
                case "no-cache" when value is null: d.NoCache = true; break;
                case "no-cache": d.NoCacheFields = Fields(value); break;
                case "private" when value is null: d.Private = true; break;
                case "private": d.PrivateFields = Fields(value); break;
                case "public": d.Public = true; break;
                case "must-revalidate": d.MustRevalidate = true; break;
                case "proxy-revalidate": d.ProxyRevalidate = true; break;
                case "immutable": d.Immutable = true; break;
                case "no-transform": d.NoTransform = true; break;
                case "only-if-cached": d.OnlyIfCached = true; break;
                case "must-understand": d.MustUnderstand = true; break;
                case "max-age": d.MaxAge = d.Freshness(value); break;
                case "s-maxage": d.SharedMaxAge = d.Freshness(value); break;
                case "max-stale": d.MaxStale = value is null ? long.MaxValue : Seconds(value); break;
                case "min-fresh": d.MinFresh = Seconds(value); break;
                case "stale-while-revalidate": d.StaleWhileRevalidate = Seconds(value); break;
                case "stale-if-error": d.StaleIfError = Seconds(value); break;
            }
        }

        return d;
    }

    /// <summary>
    /// The list items of RFC 9111 §5.2's grammar, `token [ "=" ( token / quoted-string ) ]`: the
    /// name lower-cased, the value unquoted (null when there is none), and whether the item keeps
    /// to the grammar (no space around '=', one token or quoted-string as value). Commas inside
    /// quotes do not split.
    /// </summary>
    internal static IEnumerable<(string Name, string? Value, bool WellFormed)> Split(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] is ',' or ' ' or '\t')
            {
                i++;
                continue;
            }

            var nameStart = i;
            while (i < text.Length && IsTchar(text[i]))
            {
                i++;
            }

            var name = text[nameStart..i].ToLowerInvariant();
            string? value = null;
            var wellFormed = name.Length > 0;
            if (wellFormed && i < text.Length && text[i] == '=')
            {
                i++;
                value = i < text.Length && text[i] == '"' ? Quoted(text, ref i) : Token(text, ref i);
                wellFormed = value is not null;
            }

            while (i < text.Length && text[i] is ' ' or '\t')
            {
                i++;
            }

            if (i < text.Length && text[i] != ',')
            {
                wellFormed = false;
                SkipItem(text, ref i);
            }

            if (name.Length > 0)
            {
                yield return (name, wellFormed ? value : null, wellFormed);
            }
        }
    }

    private void Malformed(string name)
    {
        switch (name)
        {
            case "no-store": NoStore = true; break;
            case "no-cache": NoCache = true; break;
            case "private": Private = true; break;
            case "max-age" or "s-maxage": InvalidFreshness = true; break;
        }
    }

    private long? Freshness(string? value)
    {
        var seconds = Seconds(value);
        InvalidFreshness |= seconds is null;
        return seconds;
    }

    private static string? Token(string text, ref int i)
    {
        var start = i;
        while (i < text.Length && IsTchar(text[i]))
        {
            i++;
        }

        return i > start ? text[start..i] : null;
    }

    // quoted-string with quoted-pairs (RFC 9110 §5.6.4); null when it never closes.
    private static string? Quoted(string text, ref int i)
    {
        var value = new System.Text.StringBuilder();
        for (i++; i < text.Length; i++)
        {
            if (text[i] == '"')
            {
                i++;
                return value.ToString();
            }

            if (text[i] == '\\' && i + 1 < text.Length)
            {
                i++;
            }

            value.Append(text[i]);
        }

        return null;
    }

    // Past the rest of a malformed item, to the comma that ends it (not one inside quotes).
    private static void SkipItem(string text, ref int i)
    {
        var quoted = false;
        for (; i < text.Length && (quoted || text[i] != ','); i++)
        {
            if (text[i] == '\\' && quoted)
            {
                i++;
            }
            else if (text[i] == '"')
            {
                quoted = !quoted;
            }
        }
    }

    // tchar of RFC 9110 §5.6.2.
    private static bool IsTchar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c);

    private static string[] Fields(string value)
        => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static long? Seconds(string? value) => DeltaSeconds.TryParse(value, out var seconds) ? seconds : null;
}
