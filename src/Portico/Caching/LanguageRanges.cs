using System.Globalization;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace Portico.Caching;

/// <summary>
/// `Accept-Language` as a Vary key (RFC 9111 §4.1 lets a cache normalize a field's values by
/// what its definition says is equivalent). Kept conservative, so two requests share a variant
/// only where no origin could tell them apart:
/// - language ranges are case-insensitive (RFC 4647 §2), so `en-US` and `EN-us` are one;
/// - whitespace is not part of the value (RFC 9110 §12.5.4's OWS);
/// - a weight is a number (RFC 9110 §12.4.2): `q=0.50` is `q=0.5`, `q=1.000` and no weight are one;
/// - ranges are listed by weight, highest first: preference is stated by the weights, so
///   `fr;q=0.5, en` and `en, fr;q=0.5` are one.
/// The order of ranges of equal weight is kept: origins do break ties by it (ASP.NET Core's
/// request localization sorts by weight with a stable sort, so list order decides among equal
/// weights), so `en, fr` and `fr, en` stay two variants. A value that does not keep to the
/// grammar is not read (the generic normalization applies).
/// </summary>
internal static class LanguageRanges
{
    /// <summary>The normalized value (`en-us,fr;q=0.5`), or null when a range or weight is not well-formed.</summary>
    public static string? Key(StringValues values)
    {
        var ranges = new List<(string Range, int Weight)>();
        foreach (var line in values)
        {
            foreach (var raw in (line ?? "").Split(','))
            {
                var item = raw.Trim();
                if (item.Length == 0)
                {
                    continue;
                }

                var semi = item.IndexOf(';');
                var range = (semi < 0 ? item : item[..semi]).TrimEnd();
                var weight = 1000;
                if (!IsRange(range) || (semi >= 0 && !TryWeight(item[(semi + 1)..].Trim(), out weight)))
                {
                    return null;
                }

                ranges.Add((range.ToLowerInvariant(), weight));
            }
        }

        // A stable sort: equal weights keep their order.
        var key = new StringBuilder();
        foreach (var (range, weight) in ranges.OrderByDescending(r => r.Weight))
        {
            if (key.Length > 0)
            {
                key.Append(',');
            }

            key.Append(range);
            if (weight < 1000)
            {
                key.Append(";q=").Append(weight == 0 ? "0" : "0." + weight.ToString("000", CultureInfo.InvariantCulture).TrimEnd('0'));
            }
        }

        return key.ToString();
    }

    // RFC 4647 §2.1: "*" or 1*8ALPHA *("-" 1*8alphanum).
    private static bool IsRange(string range)
    {
        if (range == "*")
        {
            return true;
        }

        var parts = range.Split('-');
        return parts[0].Length is >= 1 and <= 8 && parts[0].All(char.IsAsciiLetter)
            && parts.Skip(1).All(p => p.Length is >= 1 and <= 8 && p.All(char.IsAsciiLetterOrDigit));
    }

    // RFC 9110 §12.4.2: "q=" qvalue, qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ); in thousandths.
    private static bool TryWeight(string parameter, out int thousandths)
    {
        thousandths = 0;
        if (parameter.Length < 3 || (parameter[0] is not ('q' or 'Q')) || parameter[1] != '=')
        {
            return false;
        }

        var q = parameter[2..];
        var dot = q.IndexOf('.');
        var whole = dot < 0 ? q : q[..dot];
        var fraction = dot < 0 ? "" : q[(dot + 1)..];
        if (whole is not ("0" or "1") || fraction.Length > 3 || !fraction.All(char.IsAsciiDigit) || (whole == "1" && fraction.Any(c => c != '0')))
        {
            return false;
        }

        thousandths = (whole == "1" ? 1000 : 0) + (fraction.Length == 0 ? 0 : int.Parse(fraction.PadRight(3, '0'), CultureInfo.InvariantCulture));
        return true;
    }
}
