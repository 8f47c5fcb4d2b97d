using System.Text;

namespace Portico.Security.Desync;

/// <summary>
/// One HTTP/1.x request head, line by line: checks each line's syntax as it arrives and, when
/// the head is whole, decides the body's framing, refusing every ambiguous combination.
/// </summary>
internal sealed class Http1Head
{
    private bool _http10;
    private int _headerCount;
    private long _headerBytes;
    private int _lengths;
    private int _codings;
    private int _hosts;
    private long _length;
    private bool _upgradeHeader;
    private bool _connectionUpgrade;

    public int Lines { get; private set; }

    /// <summary>Makes this instance ready for the next head (the fast path keeps one per connection).</summary>
    public void Reset()
    {
        _http10 = _upgradeHeader = _connectionUpgrade = false;
        _headerCount = _lengths = _codings = _hosts = 0;
        _headerBytes = _length = 0;
        Lines = 0;
        Complete = false;
    }

    public bool Complete { get; private set; }

    internal readonly record struct Error(int Status, string Reason);

    internal readonly record struct Field(string? Name, Error? Error, Range Value);

    internal readonly record struct Framing(Error? Error, bool Chunked, long Length, bool Upgrade);

    public Error? Add(ReadOnlySpan<byte> line, Http1Limits limits)
    {
        Lines++;
        if (Lines == 1)
        {
            return RequestLine(line, limits);
        }

        if (line.Length == 0)
        {
            Complete = true;
            return null;
        }

        if (++_headerCount > limits.MaxHeaderCount)
        {
            return new Error(431, "too many header fields");
        }

        _headerBytes += line.Length + 2;
        if (_headerBytes > limits.MaxHeadersSize)
        {
            return new Error(431, "header section too large");
        }

        var field = ParseField(line, limits);
        if (field.Error is not null)
        {
            return field.Error;
        }

        var value = line[field.Value];
        switch (field.Name)
        {
            case "content-length":
                _lengths++;
                if (value.Length is 0 or > 18 || value.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
                {
                    return new Error(400, "Content-Length is not a plain decimal number");
                }

                _length = long.Parse(value, provider: System.Globalization.CultureInfo.InvariantCulture);
                break;
            case "transfer-encoding":
                _codings++;
                if (!Ascii.EqualsIgnoreCase(value, "chunked"u8))
                {
                    return new Error(400, "Transfer-Encoding other than exactly 'chunked'");
                }

                break;
            case "host":
                _hosts++;
                if (!HostField.IsValid(value))
                {
                    return new Error(400, "an invalid Host");
                }

                break;
            case "upgrade":
                _upgradeHeader = true;
                break;
            case "connection":
                _connectionUpgrade |= HasToken(value, "upgrade"u8);
                break;
        }

        return null;
    }

    public Framing Finish()
    {
        Error? error = (_lengths, _codings) switch
        {
            ( > 1, _) => new Error(400, "more than one Content-Length"),
            (_, > 1) => new Error(400, "more than one Transfer-Encoding"),
            ( > 0, > 0) => new Error(400, "both Content-Length and Transfer-Encoding"),
            (_, > 0) when _http10 => new Error(400, "Transfer-Encoding in an HTTP/1.0 request"),
            _ when _hosts > 1 || (_hosts == 0 && !_http10) => new Error(400, "an HTTP/1.1 request needs exactly one Host"),
            _ => null,
        };

        // Kestrel hands the rest of the connection to the application once such a request is
        // upgraded, so what follows is not HTTP any more; a request that would switch protocols
        // carries no body, and when the upgrade is refused the connection is closed (RequestGuard).
        var upgrade = _upgradeHeader && _connectionUpgrade;
        if (error is null && upgrade && (_codings > 0 || _length > 0))
        {
            error = new Error(400, "an upgrade request with a body");
        }

        return new Framing(error, _codings > 0, _length, upgrade);
    }

    /// <summary>name ":" OWS value OWS, with a token name and no control characters but HTAB in the value.</summary>
    internal static Field ParseField(ReadOnlySpan<byte> line, Http1Limits limits)
    {
        if (line[0] is (byte)' ' or (byte)'\t')
        {
            return new Field(null, new Error(400, "obsolete line folding"), default);
        }

        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            return new Field(null, new Error(400, "a header line without a name and ':'"), default);
        }

        var name = line[..colon];
        foreach (var b in name)
        {
            if (!IsTokenChar(b))
            {
                return new Field(null, new Error(400, "an invalid character in a header name"), default);
            }
        }

        if (limits.RejectUnderscoreNames && name.Contains((byte)'_'))
        {
            return new Field(null, new Error(400, "'_' in a header name"), default);
        }

        var start = colon + 1;
        var end = line.Length;
        while (start < end && line[start] is (byte)' ' or (byte)'\t')
        {
            start++;
        }

        while (end > start && line[end - 1] is (byte)' ' or (byte)'\t')
        {
            end--;
        }

        foreach (var b in line[start..end])
        {
            if ((b < 0x20 && b != '\t') || b == 0x7f)
            {
                return new Field(null, new Error(400, "a control character in a header value"), default);
            }
        }

        return new Field(KnownName(name), null, start..end);
    }

    private Error? RequestLine(ReadOnlySpan<byte> line, Http1Limits limits)
    {
        if (line.Length > limits.MaxRequestLine)
        {
            return new Error(414, "request line too long");
        }

        var first = line.IndexOf((byte)' ');
        var last = line.LastIndexOf((byte)' ');
        if (first <= 0 || last == first)
        {
            return new Error(400, "malformed request line");
        }

        var method = line[..first];
        var target = line[(first + 1)..last];
        var version = line[(last + 1)..];
        foreach (var b in method)
        {
            if (!IsTokenChar(b))
            {
                return new Error(400, "malformed method");
            }
        }

        if (target.Length == 0 || target.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7e) >= 0)
        {
            return new Error(400, "malformed request target");
        }

        if (version.SequenceEqual("HTTP/1.1"u8))
        {
            return null;
        }

        if (version.SequenceEqual("HTTP/1.0"u8))
        {
            _http10 = true;
            return null;
        }

        return version.Length == 8 && version.StartsWith("HTTP/"u8) && char.IsAsciiDigit((char)version[5]) && version[6] == '.' && char.IsAsciiDigit((char)version[7])
            ? new Error(505, "HTTP version not supported")
            : new Error(400, "malformed HTTP version");
    }

    private static string? KnownName(ReadOnlySpan<byte> name)
    {
        foreach (var known in (ReadOnlySpan<string>)["content-length", "transfer-encoding", "host", "upgrade", "connection"])
        {
            if (name.Length == known.Length && Ascii.EqualsIgnoreCase(name, known))
            {
                return known;
            }
        }

        return "";
    }

    private static bool HasToken(ReadOnlySpan<byte> list, ReadOnlySpan<byte> token)
    {
        foreach (var range in list.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(list[range].Trim(" \t"u8), token))
            {
                return true;
            }
        }

        return false;
    }

    // RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    internal static bool IsTokenChar(byte b)
        => char.IsAsciiLetterOrDigit((char)b) || "!#$%&'*+-.^_`|~"u8.Contains(b);
}
