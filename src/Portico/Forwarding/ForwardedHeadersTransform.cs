using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Yarp.ReverseProxy.Transforms;

namespace Portico.Forwarding;

/// <summary>The full path's adapter of <see cref="ForwardedHeaders"/>: the fields as strings on YARP's request to the backend.</summary>
internal sealed class ForwardedHeadersTransform(ActiveConfig config) : RequestTransform
{
    public override ValueTask ApplyAsync(RequestTransformContext context)
    {
        var proxy = config.Current.Settings.Proxy;
        var outgoing = context.ProxyRequest.Headers;
        foreach (var name in ForwardedHeaders.Names)
        {
            outgoing.Remove(name);
        }

        var peer = ClientAddress.Peer(context.HttpContext);
        var request = new Request(context, peer, proxy.TrustedProxies.Count > 0 && ClientAddress.IsTrusted(peer, proxy.TrustedProxies));
        ForwardedHeaders.Write(ref request, proxy.ForwardedHeaders);
        return ValueTask.CompletedTask;
    }

    private struct Request(RequestTransformContext context, IPAddress peer, bool trusted) : IForwardedRequest
    {
        private readonly HttpRequest _incoming = context.HttpContext.Request;
        private readonly StringBuilder _value = new();
        private ForwardedField _field;

        public readonly bool Trusted => trusted;

        public readonly bool HostHasColon => (_incoming.Host.Value ?? "").Contains(':');

        public void Begin(ForwardedField field)
        {
            _field = field;
            _value.Clear();
        }

        public readonly void End() => context.ProxyRequest.Headers.TryAddWithoutValidation(ForwardedHeaders.Names[(int)_field], _value.ToString());

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
