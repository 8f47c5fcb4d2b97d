using System.Globalization;

namespace Portico.Caching;

/// <summary>
/// HTTP-date (RFC 9110 §5.6.7) by its grammar: IMF-fixdate, and the obsolete RFC 850 and asctime
/// forms a recipient must accept. The grammar is case-sensitive (`%s"GMT"`, `%s"Jan"`) and has
/// exactly one space where it has one, so "THU", "gmt", "UTC", a doubled space or a two-digit
/// year outside RFC 850 are not dates: for `Expires` that means already expired (RFC 9111 §5.3),
/// for `If-Modified-Since` that the condition is ignored (RFC 9110 §13.1.3).
/// </summary>
internal static class HttpDates
{
    private static readonly string[] Days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

    private static readonly string[] LongDays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    /// <param name="receivedAt">When the field arrived: an RFC 850 date's two-digit year is read against it.</param>
    public static bool TryParse(string? text, DateTimeOffset receivedAt, out DateTimeOffset value)
    {
        value = default;
        var s = (text ?? "").AsSpan().Trim(" \t");
        return s.Length switch
        {
            29 => ImfFixdate(s, out value),
            24 => Asctime(s, out value),
            _ => Rfc850(s, receivedAt, out value),
        };
    }

    public static string Format(DateTimeOffset value) => value.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture);

    // "Sun, 06 Nov 1994 08:49:37 GMT"
    private static bool ImfFixdate(ReadOnlySpan<char> s, out DateTimeOffset value)
    {
        value = default;
        return Index(Days, s[..3]) >= 0 && s[3..5] is ", " && s[7] == ' ' && s[11] == ' ' && s[16] == ' ' && s[25..] is " GMT"
            && Digits(s[5..7], out var day) && Month(s[8..11], out var month) && Digits(s[12..16], out var year)
            && Build(year, month, day, s[17..25], out value);
    }

    // "Sun Nov  6 08:49:37 1994": the day is two digits or a space and one.
    private static bool Asctime(ReadOnlySpan<char> s, out DateTimeOffset value)
    {
        value = default;
        var dayText = s[8] == ' ' ? s[9..10] : s[8..10];
        return Index(Days, s[..3]) >= 0 && s[3] == ' ' && s[7] == ' ' && s[10] == ' ' && s[19] == ' '
            && Month(s[4..7], out var month) && Digits(dayText, out var day) && Digits(s[20..], out var year)
            && Build(year, month, day, s[11..19], out value);
    }

    // "Sunday, 06-Nov-94 08:49:37 GMT": RFC 9110 §5.6.7 reads a year more than 50 years ahead
    // as the most recent past year with the same last two digits.
    private static bool Rfc850(ReadOnlySpan<char> s, DateTimeOffset receivedAt, out DateTimeOffset value)
    {
        value = default;
        var comma = s.IndexOf(',');
        if (comma < 0 || Index(LongDays, s[..comma]) < 0)
        {
            return false;
        }

        var rest = s[(comma + 1)..];
        if (rest.Length != 23 || rest[0] != ' ' || rest[3] != '-' || rest[7] != '-' || rest[10] != ' ' || rest[19..] is not " GMT"
            || !Digits(rest[1..3], out var day) || !Month(rest[4..7], out var month) || !Digits(rest[8..10], out var twoDigits))
        {
            return false;
        }

        var now = receivedAt.UtcDateTime.Year;
        var year = (now / 100 * 100) + twoDigits;
        year = year > now + 50 ? year - 100 : year;
        return Build(year, month, day, rest[11..19], out value);
    }

    // time-of-day = hour ":" minute ":" second; a leap second (60) is read as 59.
    private static bool Build(int year, int month, int day, ReadOnlySpan<char> time, out DateTimeOffset value)
    {
        value = default;
        if (time[2] != ':' || time[5] != ':' || !Digits(time[..2], out var hour) || !Digits(time[3..5], out var minute) || !Digits(time[6..], out var second)
            || year < 1 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 60)
        {
            return false;
        }

        value = new DateTimeOffset(year, month, day, hour, minute, Math.Min(second, 59), TimeSpan.Zero);
        return true;
    }

    private static bool Month(ReadOnlySpan<char> text, out int month)
    {
        month = Index(Months, text) + 1;
        return month > 0;
    }

    private static int Index(string[] names, ReadOnlySpan<char> text)
    {
        for (var i = 0; i < names.Length; i++)
        {
            if (text.SequenceEqual(names[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool Digits(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return text.Length > 0;
    }
}
