using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Primitives;
using Portico.Compression;
using Portico.Configuration.Model;

namespace Portico.FastPath;

/// <summary>
/// What one request's stages add to its heads on the fast path, and which lines they take out:
/// the header rules (<see cref="FastFieldRules"/>), the TLS stage's Strict-Transport-Security
/// on every response (RFC 6797 §7.1) and its X-Client-Cert-* fields toward the backend, and
/// compression's Accept-Encoding toward the backend and the coding it chose. Filled
/// per request and read by the writers of the request head, the relayed response head, the
/// fast path's own 502/504 and cache hits. Lent with its request head (<see cref="RequestHead.Fields"/>).
/// </summary>
internal sealed class FastFields
{
    private static readonly byte[] StrictTransportSecurity = "Strict-Transport-Security"u8.ToArray();
    private static readonly byte[] AcceptEncoding = "Accept-Encoding"u8.ToArray();
    private static readonly byte[] CacheStatusName = "Cache-Status"u8.ToArray();

    private readonly ArrayBufferWriter<byte> _request = new(256);
    private readonly ArrayBufferWriter<byte> _response = new(256);
    private byte[][] _requestDrops = [];
    private byte[][] _responseDrops = [];
    private readonly List<byte[]> _replaced = [];
    private string? _hsts;
    private bool _codingAsked;
    private int _cacheStatusAt = -1;

    /// <summary>Lines ("Name: value\r\n") to add to the request head sent to the backend.</summary>
    public ReadOnlySpan<byte> RequestLines => _request.WrittenSpan;

    /// <summary>Lines ("Name: value\r\n") to add to the response head sent to the client.</summary>
    public ReadOnlySpan<byte> ResponseLines => _response.WrittenSpan;

    /// <summary>Whether a request line may be taken out, so the request writer looks at names only when one is.</summary>
    public bool DropsAnyRequest => _requestDrops.Length > 0 || _codingAsked;

    /// <summary>The route's compression when this request's response is to be judged for it (<see cref="Compress"/>); null otherwise.</summary>
    public CompressionSettings? Compression { get; private set; }

    /// <summary>The coding compression chose for this request; null for none (identity).</summary>
    public string? Coding { get; private set; }

    /// <summary>Whether a response line may be taken out, so a writer that copies a stored head can copy it whole when none is.</summary>
    public bool DropsAnyResponse => _responseDrops.Length > 0 || _replaced.Count > 0 || _hsts is not null;

    /// <summary>
    /// A new request: nothing added yet but the listener's: <paramref name="hsts"/>, the
    /// Strict-Transport-Security value the TLS stage gives this host, and <paramref name="certificate"/>,
    /// the X-Client-Cert-* lines of the connection's verified certificate when the listener passes them on.
    /// </summary>
    public void Begin(string? hsts, byte[]? certificate)
    {
        _request.ResetWrittenCount();
        _response.ResetWrittenCount();
        _requestDrops = _responseDrops = [];
        _replaced.Clear();
        _cacheStatusAt = -1;
        _hsts = hsts;
        _codingAsked = false;
        Compression = null;
        Coding = null;
        if (certificate is not null)
        {
            _request.Write(certificate);
        }
    }

    /// <summary>The header rules' lines for this request, values rendered from <paramref name="values"/>; the request's only when it is forwarded.</summary>
    public void Render(FastFieldRules? request, FastFieldRules? response, in FastTemplateValues values)
    {
        if (request is not null)
        {
            _requestDrops = request.Drops;
            Add(_request, request, values);
        }

        if (response is not null)
        {
            _responseDrops = response.Drops;
            Add(_response, response, values);
        }

        if (_hsts is not null)
        {
            // The TLS stage sets the field as the response starts, over any the backend sent.
            Line(_response, StrictTransportSecurity, _hsts);
        }
    }

    /// <summary>A response field a stage sets (the rate limit's), in place of any line of that name.</summary>
    public void Add(byte[] name, string value)
    {
        _replaced.Add(name);
        Line(_response, name, value);
    }

    /// <summary>
    /// The route compresses this request's response: the coding is chosen from the client's
    /// Accept-Encoding (<paramref name="acceptEncoding"/>) as the compression stage chooses it, and
    /// the backend is asked for that coding only, in place of the client's lines.
    /// </summary>
    public void Compress(CompressionSettings settings, StringValues acceptEncoding)
    {
        Compression = settings;
        Coding = CompressionNegotiator.Choose(settings, acceptEncoding);
        _codingAsked = true;
        Line(_request, AcceptEncoding, ResponseEncoding.ForBackend(Coding));
    }

    /// <summary>A response field a stage takes out and adds nothing for (the cache's tag field).</summary>
    public void Remove(byte[] name) => _replaced.Add(name);

    /// <summary>
    /// The cache stage's Cache-Status on a forwarded miss, in place of any the backend sent. It
    /// is set before the request goes out (what Portico's own 502 or 504 carries) and again at
    /// the response's head, once the cache knows whether it stores it: the later value replaces
    /// the earlier, which is always the last line added.
    /// </summary>
    public void SetCacheStatus(string value)
    {
        if (_cacheStatusAt < 0)
        {
            _replaced.Add(CacheStatusName);
        }
        else
        {
            var kept = _response.WrittenSpan[.._cacheStatusAt].ToArray();
            _response.ResetWrittenCount();
            _response.Write(kept);
        }

        _cacheStatusAt = _response.WrittenCount;
        Line(_response, CacheStatusName, value);
    }

    /// <summary>Whether the client's line named <paramref name="name"/> is left out of the request to the backend.</summary>
    public bool DropsRequest(ReadOnlySpan<byte> name) => Named(_requestDrops, name) || (_codingAsked && Ascii.EqualsIgnoreCase(name, AcceptEncoding));

    /// <summary>Whether a response line named <paramref name="name"/> is left out of the client's response.</summary>
    public bool DropsResponse(ReadOnlySpan<byte> name)
        => Named(_responseDrops, name) || Named(CollectionsMarshal.AsSpan(_replaced), name) || (_hsts is not null && Ascii.EqualsIgnoreCase(name, StrictTransportSecurity));

    private static bool Named(ReadOnlySpan<byte[]> names, ReadOnlySpan<byte> name)
    {
        foreach (var candidate in names)
        {
            if (Ascii.EqualsIgnoreCase(name, candidate))
            {
                return true;
            }
        }

        return false;
    }

    private static void Add(ArrayBufferWriter<byte> lines, FastFieldRules rules, in FastTemplateValues values)
    {
        foreach (var (name, value) in rules.Adds)
        {
            Line(lines, name, value.Render(values));
        }
    }

    private static void Line(ArrayBufferWriter<byte> lines, ReadOnlySpan<byte> name, string value)
    {
        lines.Write(name);
        lines.Write(": "u8);
        var span = lines.GetSpan(value.Length);
        lines.Advance(Encoding.ASCII.GetBytes(value, span));
        lines.Write("\r\n"u8);
    }
}
