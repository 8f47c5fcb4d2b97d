using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace Portico.Caching;

/// <summary>
/// The `Cache-Control` directives of a request or response (RFC 9111 §5.2), parsed once.
/// Durations are in whole seconds; an invalid value disables its directive, except
/// `max-stale`, whose value is optional (absent: any staleness).
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

    public long? MaxAge { get; private set; }

    public long? SharedMaxAge { get; private set; }

    public long? MaxStale { get; private set; }

    public long? MinFresh { get; private set; }

    public long? StaleWhileRevalidate { get; private set; }

    public long? StaleIfError { get; private set; }

    public static CacheDirectives Parse(StringValues values)
    {
        if (StringValues.IsNullOrEmpty(values))
        {
            return None;
        }

        var d = new CacheDirectives();
        foreach (var (name, value) in Split(values.ToString()))
        {
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
                case "max-age": d.MaxAge = Seconds(value) ?? d.MaxAge; break;
                case "s-maxage": d.SharedMaxAge = Seconds(value) ?? d.SharedMaxAge; break;
                case "max-stale": d.MaxStale = value is null ? long.MaxValue : Seconds(value) ?? d.MaxStale; break;
                case "min-fresh": d.MinFresh = Seconds(value) ?? d.MinFresh; break;
                case "stale-while-revalidate": d.StaleWhileRevalidate = Seconds(value) ?? d.StaleWhileRevalidate; break;
                case "stale-if-error": d.StaleIfError = Seconds(value) ?? d.StaleIfError; break;
            }
        }

        return d;
    }

    /// <summary>Directive name (lower case) and its value, unquoted; null when it has none. Commas inside quotes do not split.</summary>
    internal static IEnumerable<(string Name, string? Value)> Split(string text)
    {
        var start = 0;
        var quoted = false;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && text[i] == '"')
            {
                quoted = !quoted;
            }

            if (i < text.Length && (quoted || text[i] != ','))
            {
                continue;
            }

            var item = text[start..i].Trim();
            start = i + 1;
            if (item.Length == 0)
            {
                continue;
            }

            var eq = item.IndexOf('=');
            yield return eq < 0
                ? (item.ToLowerInvariant(), null)
                : (item[..eq].Trim().ToLowerInvariant(), item[(eq + 1)..].Trim().Trim('"'));
        }
    }

    private static string[] Fields(string value)
        => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    // §1.2.2: delta-seconds; a value too large to hold is taken as 2^31.
    private static long? Seconds(string? value)
    {
        if (value is null || value.Length == 0 || !value.All(char.IsAsciiDigit))
        {
            return null;
        }

        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? Math.Min(s, 1L << 31) : 1L << 31;
    }
}
