using System.Net.Http;
using System.Text;

namespace Portico.Forwarding;

/// <summary>
/// How header field values cross between bytes and strings on the full path: as Latin-1, which
/// maps each byte to the char of the same value and back, so a value reaches the backend (and a
/// response field the client) as the same bytes whatever they are. RFC 9110 §5.5 lets a field
/// value carry obs-text (0x80-0xFF), which a recipient treats as opaque; the fast path copies the
/// bytes, and nginx forwards them. Control characters never get this far: the framing check
/// (Http1Head) and Kestrel refuse them.
/// </summary>
internal static class HeaderBytes
{
    /// <summary>For Kestrel's RequestHeaderEncodingSelector and ResponseHeaderEncodingSelector.</summary>
    public static Encoding? Kestrel(string name) => Encoding.Latin1;

    /// <summary>For SocketsHttpHandler's RequestHeaderEncodingSelector and ResponseHeaderEncodingSelector.</summary>
    public static Encoding? Client(string name, HttpRequestMessage? request) => Encoding.Latin1;
}
