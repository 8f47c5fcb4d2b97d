using Microsoft.Extensions.Primitives;

namespace Portico.Caching;

/// <summary>
/// delta-seconds (RFC 9111 §1.2.2): 1*DIGIT and nothing else, so "-1", "1.5", "60a", " 60" or
/// "60;x" are not one. A value too large to hold is taken as 2^31 (the most a cache sends on).
/// </summary>
internal static class DeltaSeconds
{
    public const long Max = 1L << 31;

    public static bool TryParse(ReadOnlySpan<char> text, out long seconds)
    {
        seconds = 0;
        if (text.IsEmpty || text.ContainsAnyExceptInRange('0', '9'))
        {
            return false;
        }

        foreach (var c in text)
        {
            seconds = Math.Min((seconds * 10) + (c - '0'), Max);
        }

        return true;
    }

    /// <summary>
    /// age_value of RFC 9111 §4.2.3 from the `Age` lines. Age is a single delta-seconds (§5.1); a
    /// list, from one line with commas or several lines, is read by its first member, so
    /// "7200, 0" is 7200 old. A first member that is not delta-seconds leaves the field unusable:
    /// 0, "not available", and the Date still gives the response its apparent age.
    /// </summary>
    public static long Age(StringValues lines)
    {
        if (lines.Count == 0)
        {
            return 0;
        }

        var first = (lines[0] ?? "").AsSpan();
        var comma = first.IndexOf(',');
        return TryParse((comma < 0 ? first : first[..comma]).Trim(" \t"), out var age) ? age : 0;
    }
}
