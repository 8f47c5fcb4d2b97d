using System.Net;
using System.Net.Sockets;
using Portico.Configuration.Model;

namespace Portico.Forwarding;

/// <summary>
/// The forwarded-headers rule, for both paths (the full path's <see cref="ForwardedHeadersTransform"/>
/// and the fast path's request writer): X-Forwarded-For/-Proto/-Host and RFC 7239 Forwarded on
/// the request to the backend. What a client sent in those fields is kept (and appended to)
/// only when the TCP peer is a trusted proxy; from anyone else it is replaced, so a client
/// cannot forge its address. A client's own copies are never sent on as they came.
/// </summary>
internal static class ForwardedHeaders
{
    /// <summary>The fields' names, by <see cref="ForwardedField"/>.</summary>
    public static readonly string[] Names = ["X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded"];

    public static void Write<T>(ref T request, ForwardedHeaderKinds kinds)
        where T : struct, IForwardedRequest, allows ref struct
    {
        var trusted = request.Trusted;
        if ((kinds & ForwardedHeaderKinds.XForwarded) != 0)
        {
            // A list: the trusted proxies' hops, then ours.
            request.Begin(ForwardedField.XForwardedFor);
            if (trusted && request.Sent(ForwardedField.XForwardedFor))
            {
                request.Text(", "u8);
            }

            request.Peer();
            request.End();

            request.Begin(ForwardedField.XForwardedProto);
            if (!(trusted && request.Sent(ForwardedField.XForwardedProto)))
            {
                request.Scheme();
            }

            request.End();

            request.Begin(ForwardedField.XForwardedHost);
            if (!(trusted && request.Sent(ForwardedField.XForwardedHost)))
            {
                request.Host();
            }

            request.End();
        }

        if ((kinds & ForwardedHeaderKinds.Forwarded) != 0)
        {
            request.Begin(ForwardedField.Forwarded);
            if (trusted && request.Sent(ForwardedField.Forwarded))
            {
                request.Text(", "u8);
            }

            // RFC 7239 §4, §6: an IPv6 node is bracketed and quoted; a host with a port is quoted.
            request.Text("for="u8);
            request.Node();
            request.Text(";proto="u8);
            request.Scheme();
            request.Text(";host="u8);
            var quote = request.HostHasColon;
            if (quote)
            {
                request.Text("\""u8);
            }

            request.Host();
            if (quote)
            {
                request.Text("\""u8);
            }

            request.End();
        }
    }

    /// <summary>The peer as a Forwarded "for=" node: RFC 7239 §6 brackets and quotes an IPv6 address.</summary>
    public static string Node(IPAddress peer)
        => peer.AddressFamily == AddressFamily.InterNetworkV6 ? $"\"[{peer}]\"" : peer.ToString();
}
