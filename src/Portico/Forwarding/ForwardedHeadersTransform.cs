using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Configuration.Model;
using Yarp.ReverseProxy.Transforms;

namespace Portico.Forwarding;

/// <summary>The full path's adapter of <see cref="ForwardedHeaders"/>: the fields as strings on YARP's request to the backend (and on a mirror's copy).</summary>
internal sealed class ForwardedHeadersTransform(ActiveConfig config) : RequestTransform
{
    public override ValueTask ApplyAsync(RequestTransformContext context)
    {
        Apply(context.HttpContext, context.ProxyRequest.Headers, config.Current.Settings.Proxy);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Writes the forwarded fields of <paramref name="context"/>'s request onto
    /// <paramref name="outgoing"/>, replacing any there: the request to the route's backend, or a
    /// mirror's copy of it, which carries the same fields.
    /// </summary>
    public static void Apply(HttpContext context, HttpRequestHeaders outgoing, ProxySettings proxy)
    {
        foreach (var name in ForwardedHeaders.Names)
        {
            outgoing.Remove(name);
        }

        var peer = ClientAddress.Peer(context);
        var request = new Request(context.Request, outgoing, peer, proxy.TrustedProxies.Count > 0 && ClientAddress.IsTrusted(peer, proxy.TrustedProxies));
        ForwardedHeaders.Write(ref request, proxy.ForwardedHeaders);
    }

    private struct Request(HttpRequest incoming, HttpRequestHeaders outgoing, IPAddress peer, bool trusted) : IForwardedRequest
    {
        private readonly HttpRequest _incoming = incoming;
        private readonly StringBuilder _value = new();
        private ForwardedField _field;

        public readonly bool Trusted => trusted;

        public readonly bool HostHasColon => (_incoming.Host.Value ?? "").Contains(':');

        public void Begin(ForwardedField field)
        {
            _field = field;
            _value.Clear();
        }

        public readonly void End() => outgoing.TryAddWithoutValidation(ForwardedHeaders.Names[(int)_field], _value.ToString());

        public readonly void Text(ReadOnlySpan<byte> ascii)
        {
            foreach (var b in ascii)
            {
                _value.Append((char)b);
            }
        }

        public readonly bool Sent(ForwardedField field)
        {
            var any = false;
            foreach (var value in _incoming.Headers[ForwardedHeaders.Names[(int)field]])
            {
                if (!string.IsNullOrEmpty(value))
                {
                    _value.Append(any ? ", " : "").Append(value);
                    any = true;
                }
            }

            return any;
        }

        public readonly void Peer() => _value.Append(peer.ToString());

        public readonly void Node() => _value.Append(ForwardedHeaders.Node(peer));

        public readonly void Scheme() => _value.Append(_incoming.Scheme);

        public readonly void Host() => _value.Append(_incoming.Host.Value);
    }
}
