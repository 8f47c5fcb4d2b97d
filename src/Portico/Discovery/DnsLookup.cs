using System.Net;
using DnsClient;

namespace Portico.Discovery;

/// <summary>
/// Asks a DNS server (the configured resolver, or the system's) for a name's A and AAAA
/// records through DnsClient, which gives each record's TTL where the system resolver does not.
/// Its own cache is off: the watch asks again when the TTL says, and must see the server's answer.
/// </summary>
internal static class DnsLookup
{
    // Short and bounded: a lookup that fails keeps the last answer, and the next try comes at minRefresh.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public static LookupClient ClientFor(IPEndPoint? resolver)
    {
        var options = resolver is null ? new LookupClientOptions() : new LookupClientOptions(new NameServer(resolver));
        options.UseCache = false;
        options.Timeout = Timeout;
        options.Retries = 1;
        options.ThrowDnsErrors = false;
        options.UseTcpFallback = true;
        return new LookupClient(options);
    }

    public static async Task<DnsAnswer> ResolveAsync(ILookupClient client, string name, CancellationToken cancellationToken)
    {
        try
        {
            var v4 = client.QueryAsync(name, QueryType.A, QueryClass.IN, cancellationToken);
            var v6 = client.QueryAsync(name, QueryType.AAAA, QueryClass.IN, cancellationToken);
            var responses = await Task.WhenAll(v4, v6);
            var addresses = new List<IPAddress>();
            TimeSpan? ttl = null;
            foreach (var response in responses)
            {
                if (response.HasError && response.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain)
                {
                    return DnsAnswer.Failed($"{response.Header.ResponseCode}: {response.ErrorMessage}");
                }

                addresses.AddRange(response.Answers.ARecords().Select(r => r.Address));
                addresses.AddRange(response.Answers.AaaaRecords().Select(r => r.Address));
                foreach (var record in response.Answers)
                {
                    var seconds = TimeSpan.FromSeconds(record.TimeToLive);
                    ttl = ttl is { } shortest && shortest <= seconds ? shortest : seconds;
                }
            }

            return new DnsAnswer(addresses.Distinct().ToArray(), ttl, null);
        }
        catch (Exception e) when (e is DnsResponseException or System.Net.Sockets.SocketException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return DnsAnswer.Failed(e.Message);
        }
    }
}
