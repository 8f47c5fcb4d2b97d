using System.Net;

namespace Portico.Discovery;

/// <summary>
/// One lookup of a name's A and AAAA records: the addresses and the shortest TTL among the
/// answers (CNAMEs included), or why the lookup failed. NXDOMAIN is an answer with no address.
/// </summary>
internal sealed record DnsAnswer(IReadOnlyList<IPAddress> Addresses, TimeSpan? Ttl, string? Failure)
{
    public static DnsAnswer Failed(string reason) => new([], null, reason);
}
