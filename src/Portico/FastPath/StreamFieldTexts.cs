using System.Text;
using Microsoft.Net.Http.Headers;

namespace Portico.FastPath;

/// <summary>
/// The strings <see cref="StreamOutput"/> hands Kestrel for a response's field names and
/// values, which Kestrel's response fields only take as strings. A common name is the one
/// constant string every response shares (Kestrel's known-field lookup finds it by reference),
/// and a value equal to the one the same name had in this writer's previous response (a
/// Content-Type, a Date within its second, a Last-Modified) is that response's string again:
/// an h2 response of an origin's usual fields then allocates only its new values. Per
/// <see cref="StreamOutput"/>, so per stream of a connection, one request at a time.
/// </summary>
internal sealed class StreamFieldTexts
{
    // The names an origin's responses and the fast path's writers commonly carry (RFC 9110,
    // RFC 9111, RFC 9211's Cache-Status), canonical case; HTTP/2 sends names in lower case
    // whatever case Kestrel is given (RFC 9113 §8.2.1).
    private static readonly string[] Names =
    [
        HeaderNames.ContentType, HeaderNames.ContentLength, HeaderNames.Date, HeaderNames.LastModified,
        HeaderNames.ETag, HeaderNames.AcceptRanges, HeaderNames.CacheControl, HeaderNames.Expires,
        HeaderNames.Vary, HeaderNames.Server, HeaderNames.Age, HeaderNames.ContentEncoding,
        HeaderNames.Location, HeaderNames.SetCookie, HeaderNames.ContentLanguage, HeaderNames.Pragma,
        HeaderNames.StrictTransportSecurity, HeaderNames.XContentTypeOptions, HeaderNames.AccessControlAllowOrigin,
        HeaderNames.ContentRange, HeaderNames.XFrameOptions, HeaderNames.Via, "X-Request-Id", "Cache-Status",
    ];

    private static readonly byte[][] NameBytes = [.. Names.Select(n => Encoding.ASCII.GetBytes(n))];

    // The last value each common name had here.
    private readonly string?[] _values = new string?[Names.Length];

    /// <summary>The name's string: a shared constant for a common one.</summary>
    public string Name(ReadOnlySpan<byte> name, out int known)
    {
        for (var i = 0; i < NameBytes.Length; i++)
        {
            if (NameBytes[i].Length == name.Length && Ascii.EqualsIgnoreCase(name, NameBytes[i]))
            {
                known = i;
                return Names[i];
            }
        }

        known = -1;
        return Encoding.ASCII.GetString(name);
    }

    /// <summary>The value's string (Latin-1, RFC 9110 §5.5's obs-text kept): the previous one of the same common name when the bytes are the same.</summary>
    public string Value(int known, ReadOnlySpan<byte> value)
    {
        if (known < 0)
        {
            return Encoding.Latin1.GetString(value);
        }

        // An ASCII comparison: a value with obs-text never equals and is made afresh.
        if (_values[known] is { } last && last.Length == value.Length && Ascii.Equals(value, last))
        {
            return last;
        }

        return _values[known] = Encoding.Latin1.GetString(value);
    }
}
