namespace Portico.Cli;

/// <summary>The built-in demo's config, as YAML, so it goes through the very loader a real file does.</summary>
internal static class DemoConfig
{
    public static string Yaml(DemoBackends backends, string listen, string admin)
    {
        var destinations = string.Join("\n", backends.Addresses.Select(a => $"      - {a.GetLeftPart(UriPartial.Authority)}"));
        var weighted = string.Join("\n", backends.Addresses.Select((a, i) => $"      - address: {a.GetLeftPart(UriPartial.Authority)}\n        weight: {i + 1}"));
        return $"""
            listeners:
              demo:
                address: "{listen}"
            admin:
              address: "{admin}"
            routes:
              sticky:
                match: {"{"} pathPrefix: /sticky {"}"}
                cluster: sticky
              weighted:
                match: {"{"} pathPrefix: /weighted {"}"}
                cluster: weighted
              default:
                match: {"{"} pathPrefix: / {"}"}
                cluster: demo
                timeout: 2s
            clusters:
              demo:
                loadBalancing: round-robin
                retries: 2
                destinations:
            {destinations}
                healthCheck:
                  active: {"{"} path: /health, interval: 5s, timeout: 2s {"}"}
                  passive: {"{"} consecutiveFailures: 3, reactivateAfter: 10s {"}"}
              sticky:
                loadBalancing: consistent-hash
                hashKey: header:X-User
                destinations:
            {destinations}
              weighted:
                loadBalancing: weighted
                destinations:
            {weighted}
            """;
    }

    public static string Banner(DemoBackends backends, string listen, Uri? admin) => $"""

        Portico demo: proxy on http://{listen} in front of {backends.Addresses.Count} demo backends
        ({string.Join(", ", backends.Addresses.Select(a => a.Authority))}). No config file was given.

        Try:
          curl http://{listen}/hello                     # round robin: "backend" changes each time
          curl -H 'X-User: alice' http://{listen}/sticky # consistent hash: alice keeps her backend
          curl http://{listen}/weighted                  # weighted 1:2:3 across the backends
          curl -i http://{listen}/slow?ms=3000           # past the route's 2s timeout: 504
          curl -i http://{listen}/status/503             # a backend's own status passes through

        Dashboard: {admin}   metrics: {admin}metrics   API: {admin}api/clusters

        Run your own: portico run -c examples/quickstart.yaml   (a small config that runs as given;
        examples/portico.yaml lists every key. Ctrl-C stops, draining requests)
        """;
}
