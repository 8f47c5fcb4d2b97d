using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portico.Configuration;
using Microsoft.Extensions.Primitives;

namespace Portico.Forwarding;

/// <summary>
/// The address of the real client: the TCP peer, unless the peer is a trusted proxy, in which
/// case the right-most X-Forwarded-For entry that is not itself a trusted proxy. Computed once
/// per request and kept as a request feature for every stage that needs it.
/// </summary>
internal static class ClientAddress
{
    public static IPAddress Of(HttpContext context)
    {
        var feature = context.Features.Get<IClientAddressFeature>();
        if (feature is null)
        {
            var trusted = context.RequestServices.GetRequiredService<ActiveConfig>().Current.Settings.Proxy.TrustedProxies;
            feature = new ClientAddressFeature(Resolve(context, trusted));
            context.Features.Set<IClientAddressFeature>(feature);
        }

        return feature.Address;
    }

    public static IPAddress Peer(HttpContext context) => Normalize(context.Connection.RemoteIpAddress) ?? IPAddress.None;

    public static bool IsTrusted(IPAddress address, IReadOnlyList<IPNetwork> trusted)
    {
        foreach (var network in trusted)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    private static IPAddress Resolve(HttpContext context, IReadOnlyList<IPNetwork> trusted)
        => Resolve(Peer(context), context.Request.Headers["X-Forwarded-For"], trusted);

    /// <summary>The client: the peer, or, when the peer is a trusted proxy, the last untrusted hop of X-Forwarded-For.</summary>
    internal static IPAddress Resolve(IPAddress peer, StringValues values, IReadOnlyList<IPNetwork> trusted)
    {
        if (trusted.Count == 0 || !IsTrusted(peer, trusted))
        {
            return peer;
        }

        for (var v = values.Count - 1; v >= 0; v--)
        {
            var entries = (values[v] ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            for (var i = entries.Length - 1; i >= 0; i--)
            {
                if (!IPAddress.TryParse(entries[i], out var hop))
                {
                    // An unparsable hop ends the chain we can vouch for.
                    return peer;
                }

                hop = Normalize(hop)!;
                if (!IsTrusted(hop, trusted))
                {
                    return hop;
                }

                peer = hop;
            }
        }

        return peer;
    }

    internal static IPAddress? Normalize(IPAddress? address)
        => address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;
}

/// <summary>The resolved client address of a request.</summary>
internal interface IClientAddressFeature
{
    IPAddress Address { get; }
}

internal sealed class ClientAddressFeature(IPAddress address) : IClientAddressFeature
{
    public IPAddress Address { get; } = address;
}
