using System.Buffers;
using System.Text;
using Microsoft.Extensions.Primitives;
using Portico.Observability;
using Portico.Security.Desync;

namespace Portico.FastPath;

/// <summary>What the fast path does with one request head.</summary>
internal enum HeadKind
{
    /// <summary>A whole, valid head the fast path may forward (routing still decides).</summary>
    Whole,

    /// <summary>The head is not whole in the bytes at hand; the full path waits for the rest.</summary>
    Partial,

    /// <summary>Valid HTTP, but something only the full path handles (a body, an upgrade, a method other than GET and HEAD, …).</summary>
    NotHandled,

    /// <summary>Invalid; the full path's framing check refuses it with the right status.</summary>
    Invalid,
}

/// <summary>Header fields the fast path treats specially, by name.</summary>
internal enum FieldKind : byte
{
    Other,
    Host,
    Connection,

    /// <summary>Hop-by-hop fields that are never forwarded (Keep-Alive, Proxy-Connection, TE; RFC 9110 §7.6.1). Trailer is not one: it describes the message, and the full path forwards it.</summary>
    HopByHop,
    XForwardedFor,
    XForwardedProto,
    XForwardedHost,
    Forwarded,
    RequestId,
    UserAgent,
    Referer,
    Accept,

    /// <summary>
    /// A field that changes what a cache may answer with (RFC 9111 §4, §5.2.1; RFC 9110 §13.1.1,
    /// §13.1.4, §14): Cache-Control, Pragma, Authorization, If-Match, If-Unmodified-Since, Range, If-Range.
    /// </summary>
    CacheSensitive,

    /// <summary>If-None-Match or If-Modified-Since: a fresh hit may be answered 304 (RFC 9111 §4.3.2).</summary>
    Validator,

    /// <summary>A name with '_', dropped under `limits.underscoreHeaders: drop`.</summary>
    Underscore,
}

/// <summary>
/// One HTTP/1.1 or HTTP/1.0 request head, parsed in place from the connection's bytes: the request line's
/// parts and, per header line, its bounds and kind. Syntax and framing are checked by the same
/// <see cref="Http1Head"/> the full path's framing check uses, so both paths refuse alike (the
/// fast path hands a refused head to the full path, which answers it). Lent to a connection
/// for one request at a time (<see cref="RequestHeadPool"/>).
/// </summary>
internal sealed class RequestHead
{
    /// <summary>One header line: its bounds (without CRLF) and its value's, without surrounding whitespace.</summary>
    internal readonly record struct Line(int Start, int End, int ValueStart, int ValueEnd, FieldKind Kind);

    private readonly Http1Head _check = new();
    private Line[] _lines = new Line[32];
    private byte[]? _copy;

    /// <summary>The head's bytes, from the request line up to and including the blank line.</summary>
    public ReadOnlyMemory<byte> Bytes { get; private set; }

    public int Length => Bytes.Length;

    public Range Method { get; private set; }

    public Range Target { get; private set; }

    /// <summary>The target's path, without the query.</summary>
    public Range Path { get; private set; }

    public int LineCount { get; private set; }

    public ReadOnlySpan<Line> Lines => _lines.AsSpan(0, LineCount);

    /// <summary>The Host field's value; empty when absent.</summary>
    public Range Host { get; private set; }

    public Range UserAgent { get; private set; }

    public Range Referer { get; private set; }

    public Range Accept { get; private set; }

    public Range RequestId { get; private set; }

    public int RequestIdCount { get; private set; }

    /// <summary>The head has a field a cache must weigh before answering from the store (<see cref="FieldKind.CacheSensitive"/>).</summary>
    public bool CacheSensitive { get; private set; }

    /// <summary>The head has If-None-Match or If-Modified-Since (<see cref="FieldKind.Validator"/>).</summary>
    public bool HasValidator { get; private set; }

    /// <summary>
    /// The connection ends after this exchange, as Kestrel decides from the request: an HTTP/1.1
    /// request with a `close` option, an HTTP/1.0 one without `keep-alive` or with `close`.
    /// </summary>
    public bool Close { get; private set; }

    /// <summary>
    /// An HTTP/1.0 request: forwarded as HTTP/1.1 (as the full path's client sends it), answered
    /// with `Connection: keep-alive` when it persists, and never with a chunked body.
    /// </summary>
    public bool Http10 { get; private set; }

    /// <summary>
    /// The Connection field Kestrel gives an answer of known length to this request: `close` when
    /// the connection ends, `keep-alive` when an HTTP/1.0 one persists, none otherwise.
    /// </summary>
    public ReadOnlySpan<byte> ConnectionLine => Close ? "Connection: close\r\n"u8 : Http10 ? "Connection: keep-alive\r\n"u8 : default;

    /// <summary>An HTTP/1.0 request without a Host field (<see cref="Host"/> is empty).</summary>
    public bool NoHost => Http10 && Host.Start.Equals(Host.End);

    public bool IsHead { get; private set; }

    /// <summary>Why the fast path did not take a head it parsed; for the metrics.</summary>
    public HandOverReason? NotHandledReason { get; private set; }

    /// <summary>
    /// What this request's stages add to its heads and to its response's. Lent with the head, as
    /// it is needed exactly as long: a connection waiting for its next request holds neither
    /// (its two line buffers are about 0.7 KB; issue 25, memory per idle connection).
    /// </summary>
    public FastFields Fields { get; } = new();

    public ReadOnlySpan<byte> this[Range range] => Bytes.Span[range];

    /// <summary>Every value of the field <paramref name="name"/> (an ASCII name), as the full path's header dictionary has them.</summary>
    public StringValues Values(string name)
    {
        var values = StringValues.Empty;
        var bytes = Bytes.Span;
        foreach (var line in Lines)
        {
            var field = bytes[line.Start..line.ValueStart];
            var colon = field.IndexOf((byte)':');
            if (colon == name.Length && Ascii.EqualsIgnoreCase(field[..colon], name))
            {
                values = StringValues.Concat(values, Encoding.Latin1.GetString(bytes[line.ValueStart..line.ValueEnd]));
            }
        }

        return values;
    }

    /// <summary>
    /// Drops the reference to the connection's bytes, so a head waiting in the pool keeps no
    /// buffer of a connection that may have gone (its line table and copy buffer stay, for reuse),
    /// and what the last request's stages added, so the next borrower starts with none.
    /// </summary>
    public void Forget()
    {
        Bytes = default;
        Fields.Begin(hsts: null, certificate: null);
    }

    /// <summary>Finds and checks the first head in <paramref name="buffer"/>.</summary>
    public HeadKind Parse(in ReadOnlySequence<byte> buffer, Http1Limits limits)
    {
        var first = buffer.FirstSpan;
        var end = first.IndexOf("\r\n\r\n"u8);
        if (end >= 0)
        {
            // The usual case: the whole head is in the first segment, and is read where it lies.
            Bytes = buffer.First[..(end + 4)];
        }
        else
        {
            if (buffer.IsSingleSegment)
            {
                return HeadKind.Partial;
            }

            var length = (int)Math.Min(buffer.Length, limits.MaxHeadersSize + limits.MaxRequestLine + 4);
            if (_copy is null || _copy.Length < length)
            {
                _copy = new byte[Math.Max(length, 4096)];
            }

            buffer.Slice(0, length).CopyTo(_copy);
            end = _copy.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                return HeadKind.Partial;
            }

            Bytes = _copy.AsMemory(0, end + 4);
        }

        return Check(limits);
    }

    private HeadKind Check(Http1Limits limits)
    {
        _check.Reset();
        NotHandledReason = null;
        LineCount = 0;
        Host = UserAgent = Referer = Accept = RequestId = default;
        RequestIdCount = 0;
        Close = false;
        Http10 = false;
        var keepAlive = false;
        CacheSensitive = false;
        HasValidator = false;
        var span = Bytes.Span;
        var position = 0;
        var index = 0;
        while (true)
        {
            var lineEnd = span[position..].IndexOf("\r\n"u8) + position;
            var line = span[position..lineEnd];
            if (_check.Add(line, limits) is not null)
            {
                return HeadKind.Invalid;
            }

            if (line.IsEmpty)
            {
                break;
            }

            if (index == 0)
            {
                var firstSpace = line.IndexOf((byte)' ');
                var lastSpace = line.LastIndexOf((byte)' ');
                Method = position..firstSpace;
                Target = (firstSpace + 1)..lastSpace;
                // The framing check has refused any other version already.
                Http10 = line[(lastSpace + 1)..].SequenceEqual("HTTP/1.0"u8);

                var method = line[..firstSpace];
                IsHead = method.SequenceEqual("HEAD"u8);
                if (!IsHead && !method.SequenceEqual("GET"u8))
                {
                    return NotHandled(HandOverReason.Method);
                }

                var target = line[(firstSpace + 1)..lastSpace];
                var query = target.IndexOf((byte)'?');
                var path = query < 0 ? target : target[..query];
                Path = (firstSpace + 1)..(firstSpace + 1 + path.Length);
                if (!PlainPath(path))
                {
                    return NotHandled(HandOverReason.Target);
                }
            }
            else if (!AddField(position, lineEnd, line, ref keepAlive))
            {
                return HeadKind.NotHandled;
            }

            index++;
            position = lineEnd + 2;
        }

        var framing = _check.Finish();
        if (framing.Error is not null)
        {
            return HeadKind.Invalid;
        }

        if (framing.Chunked || framing.Length > 0 || framing.Upgrade)
        {
            return NotHandled(HandOverReason.BodyOrUpgrade);
        }

        // HTTP/1.0 persists only when asked to (Kestrel: keep-alive, and no close option).
        Close |= Http10 && !keepAlive;

        return HeadKind.Whole;
    }

    private bool AddField(int start, int end, ReadOnlySpan<byte> line, ref bool keepAlive)
    {
        var colon = line.IndexOf((byte)':');
        var name = line[..colon];
        var valueStart = colon + 1;
        while (valueStart < line.Length && line[valueStart] is (byte)' ' or (byte)'\t')
        {
            valueStart++;
        }

        var valueEnd = line.Length;
        while (valueEnd > valueStart && line[valueEnd - 1] is (byte)' ' or (byte)'\t')
        {
            valueEnd--;
        }

        var value = (start + valueStart)..(start + valueEnd);
        var kind = Classify(name);
        switch (kind)
        {
            case FieldKind.Host:
                Host = value;
                break;
            case FieldKind.UserAgent:
                UserAgent = value;
                break;
            case FieldKind.Referer:
                Referer = value;
                break;
            case FieldKind.Accept:
                Accept = value;
                break;
            case FieldKind.RequestId:
                RequestId = value;
                RequestIdCount++;
                break;
            case FieldKind.CacheSensitive:
                CacheSensitive = true;
                break;
            case FieldKind.Validator:
                HasValidator = true;
                break;
            case FieldKind.Connection:
                foreach (var token in line[valueStart..valueEnd].Split((byte)','))
                {
                    var t = line[valueStart..valueEnd][token].Trim(" \t"u8);
                    if (Ascii.EqualsIgnoreCase(t, "close"u8))
                    {
                        Close = true;
                    }
                    else if (Ascii.EqualsIgnoreCase(t, "keep-alive"u8))
                    {
                        keepAlive = true;
                    }
                    else if (!t.IsEmpty)
                    {
                        // Other tokens name more hop-by-hop fields; the full path removes them.
                        NotHandledReason = HandOverReason.ConnectionOptions;
                        return false;
                    }
                }

                break;
            case FieldKind.Other when Ascii.EqualsIgnoreCase(name, "expect"u8) || Ascii.EqualsIgnoreCase(name, "upgrade"u8)
                                      || Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8)
                                      || (name.Length > 14 && Ascii.EqualsIgnoreCase(name[..14], "x-client-cert-"u8)):
                NotHandledReason = HandOverReason.Headers;
                return false;
        }

        if (LineCount == _lines.Length)
        {
            Array.Resize(ref _lines, _lines.Length * 2);
        }

        _lines[LineCount++] = new Line(start, end, start + valueStart, start + valueEnd, kind);
        return true;
    }

    private HeadKind NotHandled(HandOverReason reason)
    {
        NotHandledReason = reason;
        return HeadKind.NotHandled;
    }

    /// <summary>
    /// A path routing sees exactly as sent: no percent-encoding, no dot segments, no empty
    /// segments, so matching it byte for byte agrees with ASP.NET Core's decoded, normalized path.
    /// </summary>
    internal static bool PlainPath(ReadOnlySpan<byte> path)
    {
        if (path.IsEmpty || path[0] != '/' || path.Contains((byte)'%') || path.IndexOf("//"u8) >= 0)
        {
            return false;
        }

        foreach (var range in path.Split((byte)'/'))
        {
            var segment = path[range];
            if (segment.SequenceEqual("."u8) || segment.SequenceEqual(".."u8))
            {
                return false;
            }
        }

        return true;
    }

    private static FieldKind Classify(ReadOnlySpan<byte> name)
    {
        switch (name.Length)
        {
            case 4 when Ascii.EqualsIgnoreCase(name, "host"u8):
                return FieldKind.Host;
            case 10 when Ascii.EqualsIgnoreCase(name, "connection"u8):
                return FieldKind.Connection;
            case 10 when Ascii.EqualsIgnoreCase(name, "keep-alive"u8):
            case 16 when Ascii.EqualsIgnoreCase(name, "proxy-connection"u8):
            case 2 when Ascii.EqualsIgnoreCase(name, "te"u8):
                return FieldKind.HopByHop;
            case 15 when Ascii.EqualsIgnoreCase(name, "x-forwarded-for"u8):
                return FieldKind.XForwardedFor;
            case 17 when Ascii.EqualsIgnoreCase(name, "x-forwarded-proto"u8):
                return FieldKind.XForwardedProto;
            case 16 when Ascii.EqualsIgnoreCase(name, "x-forwarded-host"u8):
                return FieldKind.XForwardedHost;
            case 9 when Ascii.EqualsIgnoreCase(name, "forwarded"u8):
                return FieldKind.Forwarded;
            case 12 when Ascii.EqualsIgnoreCase(name, "x-request-id"u8):
                return FieldKind.RequestId;
            case 10 when Ascii.EqualsIgnoreCase(name, "user-agent"u8):
                return FieldKind.UserAgent;
            case 7 when Ascii.EqualsIgnoreCase(name, "referer"u8):
                return FieldKind.Referer;
            case 6 when Ascii.EqualsIgnoreCase(name, "accept"u8):
                return FieldKind.Accept;
            case 13 when Ascii.EqualsIgnoreCase(name, "if-none-match"u8):
            case 17 when Ascii.EqualsIgnoreCase(name, "if-modified-since"u8):
                return FieldKind.Validator;
            case 13 when Ascii.EqualsIgnoreCase(name, "cache-control"u8) || Ascii.EqualsIgnoreCase(name, "authorization"u8):
            case 6 when Ascii.EqualsIgnoreCase(name, "pragma"u8):
            case 5 when Ascii.EqualsIgnoreCase(name, "range"u8):
            case 8 when Ascii.EqualsIgnoreCase(name, "if-range"u8) || Ascii.EqualsIgnoreCase(name, "if-match"u8):
            case 19 when Ascii.EqualsIgnoreCase(name, "if-unmodified-since"u8):
                return FieldKind.CacheSensitive;
        }

        return name.Contains((byte)'_') ? FieldKind.Underscore : FieldKind.Other;
    }
}
