namespace Portico.FastPath;

/// <summary>The response head as the backend sent it, in the backend connection's buffer.</summary>
/// <param name="Status">The final status; 0 when the connection ended before a byte came (safe to send again), -1 when the head is broken or too large.</param>
/// <param name="Filled">How much of the buffer holds bytes: the head, then the first body bytes.</param>
/// <param name="Received">Whether anything came at all.</param>
internal readonly record struct ResponseHead(int Status, int HeadLength, int Filled, bool Received)
{
    /// <summary>
    /// Whether the first <paramref name="filled"/> bytes of <paramref name="buffer"/> settle the
    /// response head: a final (non-1xx) head is whole, or it is broken or too large (status -1).
    /// Interim responses (103 Early Hints, …) are dropped, as the full path drops them. False:
    /// read more after <paramref name="filled"/>; <paramref name="searched"/> keeps the scan from
    /// starting over. A connection that ends first reads as status 0 when nothing came (safe to
    /// send again) and -1 otherwise; the caller sets that.
    /// </summary>
    public static bool Scan(byte[] buffer, ref int filled, ref int searched, out ResponseHead read)
    {
        while (true)
        {
            var from = Math.Max(0, searched - 3);
            var end = buffer.AsSpan(from, filled - from).IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                searched = filled;
                read = filled == buffer.Length ? new ResponseHead(-1, 0, filled, true) : default;
                return filled == buffer.Length;
            }

            var headLength = from + end + 4;
            var status = StatusOf(buffer.AsSpan(0, headLength));
            if (status is >= 200 and <= 999)
            {
                read = new ResponseHead(status, headLength, filled, true);
                return true;
            }

            if (status is < 100 or > 199 or 101)
            {
                read = new ResponseHead(-1, 0, filled, true);
                return true;
            }

            buffer.AsSpan(headLength, filled - headLength).CopyTo(buffer);
            filled -= headLength;
            searched = 0;
        }
    }

    private static int StatusOf(ReadOnlySpan<byte> head)
    {
        // "HTTP/1.x SSS reason"
        if (head.Length < 12 || !head.StartsWith("HTTP/1."u8) || head[8] != ' ' || !char.IsAsciiDigit((char)head[9]) || !char.IsAsciiDigit((char)head[10]) || !char.IsAsciiDigit((char)head[11]))
        {
            return -1;
        }

        if (head.Length > 12 && head[12] != ' ' && head[12] != '\r')
        {
            return -1;
        }

        return ((head[9] - '0') * 100) + ((head[10] - '0') * 10) + (head[11] - '0');
    }
}
