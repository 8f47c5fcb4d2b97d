using Portico.LoadBalancing;
using static Portico.Configuration.Catalogue.Keys;

namespace Portico.Configuration.Catalogue;

/// <summary>`clusters.ID`: destinations, balancing, retries, timeouts, health checks and TLS to backends.</summary>
internal static class ClusterKeys
{
    public static IEnumerable<ConfigKey> All =>
    [
        Names("clusters", "sets of backends, by a cluster id of your choice."),
        Table("clusters.ID", "A set of backend destinations and how to use them."),
        Items("clusters.ID.destinations", "a list of backend URLs (`http://10.0.0.1:8080`, `https://api.internal/base`), or entries `{ address, weight, name }`. With `discovery`, these are used beside the records found, and `[]` is allowed.")
            with { ItemOrKind = ConfigKind.String, Required = true, Example = "[\"http://127.0.0.1:9001\"]" },
        Text("clusters.ID.destinations[].address", "the backend's `http://` or `https://` URL; a base path is allowed, a query or fragment is not.") with { Required = true, Example = "http://127.0.0.1:9001" },
        Int("clusters.ID.destinations[].weight", 1, 1000, "share of traffic, used by `weighted` and `consistent-hash`.") with { Default = "1" },
        Text("clusters.ID.destinations[].name", "the name in logs and the admin API.") with { DefaultNote = "`host:port`" },
        Section("clusters.ID.discovery", "more destinations from DNS: one per A and AAAA record of a name, named `IP:port` and reached over plain HTTP, asked again when the shortest TTL runs out (within `minRefresh`..`maxRefresh`). A record that appears later joins after its first passing active health check (at once when the cluster has none); one that vanishes gets no new requests, and those in flight finish. A failed lookup keeps the last answer; an empty answer or NXDOMAIN removes them all. Not with `consistent-hash`.") with { DefaultNote = "none" },
        Text("clusters.ID.discovery.dns", "the DNS name to resolve (not an IP address).") with { Required = true, Example = "app.internal" },
        Int("clusters.ID.discovery.port", 1, 65535, "the port every record's address is reached on.") with { Required = true, Example = "8080" },
        Text("clusters.ID.discovery.resolver", "the DNS server asked: an IP address, or IP:port (port 53 by default), as nginx's `resolver`.") with { DefaultNote = "the system's (`/etc/resolv.conf`)", Example = "10.0.0.2:53" },
        Duration("clusters.ID.discovery.minRefresh", "shortest wait before asking again, whatever the TTL; also the wait after a failed or empty answer.") with { Default = "5s" },
        Duration("clusters.ID.discovery.maxRefresh", "longest wait before asking again, whatever the TTL.") with { Default = "5m" },
        OneOf("clusters.ID.loadBalancing", PolicyNames.All, "`round-robin`, `least-requests` (fewest in flight), `power-of-two` (the less busy of two random picks), `random`, `weighted` (smooth weighted round robin: exact shares, interleaved), `consistent-hash`.") with { Default = PolicyNames.RoundRobin },
        Text("clusters.ID.hashKey", "for `consistent-hash`: `client-ip`, `header:NAME` or `cookie:NAME`. A request without the header or cookie falls back to its client IP. A key keeps its destination while that destination is available; adding or removing one moves only its share of keys. The hash (XXH3) is the same in every Portico process.")
            with { Default = "client-ip", Needs = [new("loadBalancing", PolicyNames.ConsistentHash)] },
        Int("clusters.ID.retries", 0, 10, "extra attempts, each on a destination not yet tried, when the connection fails, is reset, or times out (`connectTimeout`, `timeout`) before any response. Only for GET, HEAD, OPTIONS, TRACE, PUT and DELETE unless the route sets `retryNonIdempotent`, and never once the request body has been read.") with { Default = "0" },
        Duration("clusters.ID.timeout", "longest wait for backend activity (response headers, each body read); past it: 504.") with { DefaultNote = "`100s` (the forwarder's activity timeout)" },
        Duration("clusters.ID.connectTimeout", "limit on each connection attempt.") with { Default = "10s" },
        Section("clusters.ID.http", "how Portico speaks HTTP to the destinations."),
        OneOf("clusters.ID.http.version", ["1.1", "2"], "`1.1` or `2` toward the backends (`2` with `http://` is h2c; required for gRPC backends).") with { Default = "\"1.1\"" },
        Int("clusters.ID.http.maxConnectionsPerServer", 1, 1_000_000, "cap on pooled connections per destination.") with { DefaultNote = "unlimited" },
        Section("clusters.ID.healthCheck", "active and passive health checks. With any health check on, a destination is used while no check calls it unhealthy; when none is left, requests get 503 at once.") with { DefaultNote = "none" },
        Section("clusters.ID.healthCheck.active", "Portico probes each destination on its own, with the cluster's own HTTP settings.") with { DefaultNote = "off" },
        Text("clusters.ID.healthCheck.active.path", "probe path (a query is allowed).") with { Default = "/" },
        Duration("clusters.ID.healthCheck.active.interval", "time between probes.") with { Default = "10s" },
        Duration("clusters.ID.healthCheck.active.timeout", "a probe with no answer by then failed.") with { Default = "5s" },
        Int("clusters.ID.healthCheck.active.healthyThreshold", 1, 100, "consecutive passing probes that bring a destination back. The first probe after start-up decides alone.") with { Default = "2" },
        Int("clusters.ID.healthCheck.active.unhealthyThreshold", 1, 100, "consecutive failed probes that take it out.") with { Default = "3" },
        List("clusters.ID.healthCheck.active.expectedStatus", "status codes or ranges that pass, e.g. `[200, 204, \"300-399\"]`.") with { Default = "[200-399]" },
        Section("clusters.ID.healthCheck.passive", "Portico watches real traffic and ejects failing destinations.") with { DefaultNote = "off" },
        Int("clusters.ID.healthCheck.passive.consecutiveFailures", 0, 1000, "failed requests in a row that eject a destination (`0`: off). A failure is a connection error, a reset or a timeout toward the backend; a client hanging up is not one. `0` needs `failureRate`.") with { Default = "5", Needs = [new("failureRate", "0.5")] },
        Number("clusters.ID.healthCheck.passive.failureRate", 0.01, 1, "share of failed requests within `window` that ejects.") with { DefaultNote = "off" },
        Duration("clusters.ID.healthCheck.passive.window", "span over which `failureRate` is measured.") with { Default = "30s" },
        Int("clusters.ID.healthCheck.passive.minimumRequests", 1, 1_000_000, "requests within `window` before `failureRate` is judged.") with { Default = "10" },
        Duration("clusters.ID.healthCheck.passive.reactivateAfter", "how long an ejected destination sits out. With active checks on, `healthCheck.active.healthyThreshold` probes in a row that pass during the ejection end it sooner; a failed probe never ends it.") with { Default = "30s" },
        Bool("clusters.ID.healthCheck.passive.countServerErrors", false, "also count 5xx responses as failures."),
        Table("clusters.ID.tls", "TLS to `https://` destinations (health probes use it too); see [TLS to backends](tls.md#tls-to-backends).") with { DefaultNote = "the system store verifies" },
        Text("clusters.ID.tls.ca", "PEM bundle; backend certificates must chain to it (and still match the destination's host name).") with { DefaultNote = "system store" },
        Bool("clusters.ID.tls.insecureSkipVerify", false, "accept any backend certificate. For test setups only: every time the cluster's client is built, a warning says so (log 4005). Not together with `ca`."),
        Section("clusters.ID.tls.clientCertificate", "`{ cert, key }` or `{ pfx, password }` presented to backends that ask for one.") with { DefaultNote = "none" },
        .. CertificateSource("clusters.ID.tls.clientCertificate"),
    ];
}
