using System.Text;
using Portico.Configuration.Model;
using Portico.Forwarding;

namespace Portico.FastPath;

/// <summary>The request head the fast path sends a backend, written from the client's head.</summary>
internal static class RequestWriter
{
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();

    /// <summary>
    /// The request to the backend: the client's head with Portico's changes (see the full path's
    /// transforms). <paramref name="generatedId"/> replaces the client's X-Request-Id when it sent none valid.
    /// </summary>
    public static int Write(FastConnection state, byte[] target, string? generatedId, ProxySettings proxy, UnderscoreHeaderPolicy underscores)
    {
        var head = state.Head;
        var bytes = head.Bytes.Span;
        var peer = state.Peer;
        var trusted = proxy.TrustedProxies.Count > 0 && ClientAddress.IsTrusted(peer, proxy.TrustedProxies);
        var writer = new HeadWriter(target);
        var requestLineEnd = bytes.IndexOf("\r\n"u8) + 2;
        writer.Write(bytes[..requestLineEnd]);
        // A value sent blank counts as not sent, as on the full path (ForwardedHeadersTransform).
        Range forwardedProto = default, forwardedHost = default, forwarded = default;
        var sentFor = false;
        foreach (var line in head.Lines)
        {
            switch (line.Kind)
            {
                case FieldKind.Connection or FieldKind.HopByHop:
                    continue;
                case FieldKind.Underscore when underscores == UnderscoreHeaderPolicy.Drop:
                    continue;
                case FieldKind.RequestId when generatedId is not null:
                    continue;
                case FieldKind.XForwardedFor:
                    // Several X-Forwarded-For lines are one list; they are joined below.
                    sentFor |= line.ValueStart < line.ValueEnd;
                    continue;
                case FieldKind.XForwardedProto:
                    forwardedProto = line.ValueStart..line.ValueEnd;
                    continue;
                case FieldKind.XForwardedHost:
                    forwardedHost = line.ValueStart..line.ValueEnd;
                    continue;
                case FieldKind.Forwarded:
                    forwarded = line.ValueStart..line.ValueEnd;
                    continue;
            }

            writer.Write(bytes[line.Start..line.End]);
            writer.Write(Crlf);
        }

        if (generatedId is not null)
        {
            writer.Write("X-Request-Id: "u8);
            writer.WriteAscii(generatedId);
            writer.Write(Crlf);
        }

        var host = bytes[head.Host];
        if (proxy.ForwardedHeaders.HasFlag(ForwardedHeaderKinds.XForwarded))
        {
            writer.Write("X-Forwarded-For: "u8);
            if (trusted && sentFor)
            {
                foreach (var line in head.Lines)
                {
                    if (line.Kind == FieldKind.XForwardedFor && line.ValueStart < line.ValueEnd)
                    {
                        writer.Write(bytes[line.ValueStart..line.ValueEnd]);
                        writer.Write(", "u8);
                    }
                }
            }

            writer.WriteAscii(state.PeerText);
            writer.Write("\r\nX-Forwarded-Proto: "u8);
            if (trusted && !bytes[forwardedProto].IsEmpty)
            {
                writer.Write(bytes[forwardedProto]);
            }
            else
            {
                writer.Write("http"u8);
            }

            writer.Write("\r\nX-Forwarded-Host: "u8);
            writer.Write(trusted && !bytes[forwardedHost].IsEmpty ? bytes[forwardedHost] : host);
            writer.Write(Crlf);
        }

        if (proxy.ForwardedHeaders.HasFlag(ForwardedHeaderKinds.Forwarded))
        {
            writer.Write("Forwarded: "u8);
            if (trusted && !bytes[forwarded].IsEmpty)
            {
                writer.Write(bytes[forwarded]);
                writer.Write(", "u8);
            }

            // RFC 7239 §4, §6: an IPv6 node is bracketed and quoted; a host with a port is quoted.
            writer.Write("for="u8);
            writer.WriteAscii(state.ForwardedNode);
            writer.Write(";proto=http;host="u8);
            var quote = host.Contains((byte)':');
            if (quote)
            {
                writer.Write("\""u8);
            }

            writer.Write(host);
            if (quote)
            {
                writer.Write("\""u8);
            }

            writer.Write(Crlf);
        }

        writer.Write(Crlf);
        return writer.Position;
    }
}
