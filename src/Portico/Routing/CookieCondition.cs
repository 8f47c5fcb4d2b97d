using Portico.Configuration.Model;

namespace Portico.Routing;

/// <summary>
/// One `match.cookies` condition on the value of the named cookie (RFC 6265 §5.4: the first
/// pair of that name), with the modes and case rule of `match.headers`.
/// </summary>
internal static class CookieCondition
{
    public static bool Holds(ValueMatchSettings condition, string? value)
    {
        if (condition.Mode == ValueMatchMode.Exists)
        {
            return value is not null;
        }

        if (condition.Mode == ValueMatchMode.NotExists)
        {
            return value is null;
        }

        var comparison = condition.CaseSensitive ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        if (condition.Mode == ValueMatchMode.NotContains)
        {
            // As for headers: an absent cookie contains none of the values.
            return value is null || !condition.Values.Any(v => value.Contains(v, comparison));
        }

        if (value is null)
        {
            return false;
        }

        foreach (var expected in condition.Values)
        {
            var hit = condition.Mode switch
            {
                ValueMatchMode.Prefix => value.StartsWith(expected, comparison),
                ValueMatchMode.Contains => value.Contains(expected, comparison),
                _ => value.Equals(expected, comparison),
            };
            if (hit)
            {
                return true;
            }
        }

        return false;
    }
}
