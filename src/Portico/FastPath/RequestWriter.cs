using System.Net.Sockets;
using Portico.Configuration.Model;
using Portico.Forwarding;

namespace Portico.FastPath;

/// <summary>The request head the fast path sends a backend, written from the client's head.</summary>
internal static class RequestWriter
{
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();

    /// <summary>
    /// The request to the backend: the client's head with Portico's changes (see the full path's
    /// transforms). <paramref name="generatedId"/> replaces the client's X-Request-Id when it sent none valid;
    /// <paramref name="rewritten"/> the client's request target (FastRewrite), when the route rewrites it.
    /// An HTTP/1.0 request goes as HTTP/1.1, as the full path's client sends every request, and
    /// one without Host gets <paramref name="host"/>, the destination's (as that client adds it).
    /// </summary>
    public static int Write(FastConnection state, byte[] target, string? generatedId, string? rewritten, ProxySettings proxy, UnderscoreHeaderPolicy underscores, byte[]? host = null)
    {
        var head = state.Head;
        var bytes = head.Bytes.Span;
        var writer = new HeadWriter(target);
        var requestLineEnd = bytes.IndexOf("\r\n"u8) + 2;
        if (rewritten is null)
        {
            writer.Write(bytes[..head.Target.End.Value]);
        }
        else
        {
            writer.Write(bytes[head.Method]);
            writer.Write(" "u8);
            writer.WriteAscii(rewritten);
        }

        writer.Write(head.Http10 ? " HTTP/1.1\r\n"u8 : bytes[head.Target.End..requestLineEnd]);
        if (head.NoHost && host is not null)
        {
            writer.Write("Host: "u8);
            writer.Write(host);
            writer.Write(Crlf);
        }

        var drops = state.Fields.DropsAnyRequest;
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
                case FieldKind.XForwardedFor or FieldKind.XForwardedProto or FieldKind.XForwardedHost or FieldKind.Forwarded:
                    // Written by the forwarded-headers rule below, which reads them again.
                    continue;
            }

            var field = bytes[line.Start..line.End];
            if (drops && state.Fields.DropsRequest(field[..field.IndexOf((byte)':')]))
            {
                // A header rule's remove or set.
                continue;
            }

            writer.Write(field);
            writer.Write(Crlf);
        }

        if (generatedId is not null)
        {
            writer.Write("X-Request-Id: "u8);
            writer.WriteAscii(generatedId);
            writer.Write(Crlf);
        }

        var trusted = proxy.TrustedProxies.Count > 0 && ClientAddress.IsTrusted(state.Peer, proxy.TrustedProxies);
        var forwarded = new ForwardedFields(writer, state, trusted);
        ForwardedHeaders.Write(ref forwarded, proxy.ForwardedHeaders);
        writer = forwarded.Writer;

        // After the forwarded fields, as the full path runs the header rules after them.
        writer.Write(state.Fields.RequestLines);
        writer.Write(Crlf);
        return writer.Position;
    }

    /// <summary>The fast path's adapter of <see cref="ForwardedHeaders"/>: the fields as bytes in the request head, continuing <paramref name="writer"/>.</summary>
    private ref struct ForwardedFields(HeadWriter writer, FastConnection state, bool trusted) : IForwardedRequest
    {
        private HeadWriter _writer = writer;

        /// <summary>The request head's writer, past the fields written.</summary>
        public readonly HeadWriter Writer => _writer;

        public readonly bool Trusted => trusted;

        public readonly bool HostHasColon => state.Head[state.Head.Host].Contains((byte)':');

        public void Begin(ForwardedField field)
        {
            _writer.WriteAscii(ForwardedHeaders.Names[(int)field]);
            _writer.Write(": "u8);
        }

        public void End() => _writer.Write(Crlf);

        public void Text(ReadOnlySpan<byte> ascii) => _writer.Write(ascii);

        public bool Sent(ForwardedField field)
        {
            var kind = field switch
            {
                ForwardedField.XForwardedFor => FieldKind.XForwardedFor,
                ForwardedField.XForwardedProto => FieldKind.XForwardedProto,
                ForwardedField.XForwardedHost => FieldKind.XForwardedHost,
                _ => FieldKind.Forwarded,
            };
            var head = state.Head;
            var any = false;
            foreach (var line in head.Lines)
            {
                // Values are read without surrounding whitespace, so a blank one is empty here, as on the full path.
                if (line.Kind == kind && line.ValueStart < line.ValueEnd)
                {
                    if (any)
                    {
                        _writer.Write(", "u8);
                    }

                    _writer.Write(head[line.ValueStart..line.ValueEnd]);
                    any = true;
                }
            }

            return any;
        }

        public void Peer() => _writer.WriteAddress(state.Peer);

        /// <summary>The peer as a Forwarded "for=" node (RFC 7239 §6, as <see cref="ForwardedHeaders.Node"/>).</summary>
        public void Node()
        {
            var v6 = state.Peer.AddressFamily == AddressFamily.InterNetworkV6;
            if (v6)
            {
                _writer.Write("\"["u8);
            }

            _writer.WriteAddress(state.Peer);
            if (v6)
            {
                _writer.Write("]\""u8);
            }
        }

        public void Scheme() => _writer.Write(state.Https ? "https"u8 : "http"u8);

        public void Host() => _writer.Write(state.Head[state.Head.Host]);
    }
}
