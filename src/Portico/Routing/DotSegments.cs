namespace Portico.Routing;

/// <summary>
/// Whether a rewritten path holds a `.` or `..` segment (RFC 3986 §3.3), written plainly or
/// percent-encoded (`%2E`), and counting `%2F` as a separator too: a backend that decodes before
/// it resolves dot segments would otherwise read `/v2/..%2F..%2Fsecret` as `/secret`, a path
/// outside the one the rewrite aims at. Kestrel has already resolved the client's own dot
/// segments; only what a rewrite puts together can hold one.
/// </summary>
internal static class DotSegments
{
    public static bool In(string path)
    {
        var end = path.IndexOf('?');
        var span = end < 0 ? path.AsSpan() : path.AsSpan(0, end);
        while (true)
        {
            var next = NextSeparator(span, out var width);
            var segment = next < 0 ? span : span[..next];
            if (IsDot(segment))
            {
                return true;
            }

            if (next < 0)
            {
                return false;
            }

            span = span[(next + width)..];
        }
    }

    private static int NextSeparator(ReadOnlySpan<char> span, out int width)
    {
        for (var i = 0; i < span.Length; i++)
        {
            if (span[i] == '/')
            {
                width = 1;
                return i;
            }

            if (span[i] == '%' && i + 2 < span.Length && span[i + 1] == '2' && span[i + 2] is 'F' or 'f')
            {
                width = 3;
                return i;
            }
        }

        width = 0;
        return -1;
    }

    private static bool IsDot(ReadOnlySpan<char> segment)
    {
        var dots = 0;
        for (var i = 0; i < segment.Length; i++)
        {
            if (segment[i] == '.')
            {
                dots++;
            }
            else if (segment[i] == '%' && i + 2 < segment.Length && segment[i + 1] == '2' && segment[i + 2] is 'E' or 'e')
            {
                dots++;
                i += 2;
            }
            else
            {
                return false;
            }
        }

        return dots is 1 or 2;
    }
}
