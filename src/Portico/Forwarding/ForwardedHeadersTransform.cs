using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Primitives;
using Portico.Configuration;
using Portico.Configuration.Model;
using Yarp.ReverseProxy.Transforms;

namespace Portico.Forwarding;

/// <summary>
/// Sets X-Forwarded-For/-Proto/-Host and RFC 7239 Forwarded on the request to the backend.
/// What a client sent in those headers is kept (and appended to) only when the TCP peer is a
/// trusted proxy; from anyone else it is replaced, so a client cannot forge its address.
/// </summary>
internal sealed class ForwardedHeadersTransform(ActiveConfig config) : RequestTransform
{
    private static readonly string[] Managed = ["X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded"];

    public override ValueTask ApplyAsync(RequestTransformContext context)
    {
        var proxy = config.Current.Settings.Proxy;
        var http = context.HttpContext;
        var peer = ClientAddress.Peer(http);
        var trusted = proxy.TrustedProxies.Count > 0 && ClientAddress.IsTrusted(peer, proxy.TrustedProxies);
        var outgoing = context.ProxyRequest.Headers;
        foreach (var name in Managed)
        {
            outgoing.Remove(name);
        }

        var incoming = http.Request.Headers;
        var scheme = http.Request.Scheme;
        var host = http.Request.Host.Value ?? "";
        if (proxy.ForwardedHeaders.HasFlag(ForwardedHeaderKinds.XForwarded))
        {
            var peerText = peer.ToString();
            outgoing.TryAddWithoutValidation("X-Forwarded-For", Append(trusted, incoming["X-Forwarded-For"], peerText));
            outgoing.TryAddWithoutValidation("X-Forwarded-Proto", Keep(trusted, incoming["X-Forwarded-Proto"], scheme));
            outgoing.TryAddWithoutValidation("X-Forwarded-Host", Keep(trusted, incoming["X-Forwarded-Host"], host));
        }

        if (proxy.ForwardedHeaders.HasFlag(ForwardedHeaderKinds.Forwarded))
        {
            // RFC 7239 §4: a host with a port is quoted.
            var node = Node(peer);
            var hostValue = host.Contains(':') ? $"\"{host}\"" : host;
            var element = $"for={node};proto={scheme};host={hostValue}";
            outgoing.TryAddWithoutValidation("Forwarded", Append(trusted, incoming["Forwarded"], element));
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The peer as a Forwarded "for=" node: RFC 7239 §6 brackets and quotes an IPv6 address.</summary>
    internal static string Node(IPAddress peer)
        => peer.AddressFamily == AddressFamily.InterNetworkV6 ? $"\"[{peer}]\"" : peer.ToString();

    private static string Append(bool trusted, StringValues sent, string ours)
        => trusted && !StringValues.IsNullOrEmpty(sent) ? $"{string.Join(", ", sent.ToArray())}, {ours}" : ours;

    private static string Keep(bool trusted, StringValues sent, string ours)
        => trusted && !StringValues.IsNullOrEmpty(sent) ? sent.ToString() : ours;
}
