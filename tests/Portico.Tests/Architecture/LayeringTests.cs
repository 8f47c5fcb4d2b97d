namespace Portico.Tests.Architecture;

/// <summary>
/// The folders of src/Portico and which others each may use (shared/ARCHITECTURE.md: one folder
/// per concern, talking through public faces). The settings model is the floor every concern
/// stands on; concerns use the settings, Configuration's runtime lookups and Observability's
/// instruments, and each other only where noted; a per-route stage declares itself to Pipeline
/// (IRouteStage, StageVerdict, with Observability's HandOverReason); Pipeline, FastPath and
/// Hosting compose them.
/// A use the table does not allow fails, and so does an allowance nothing uses any more (so
/// the table tightens as the code does).
/// </summary>
public sealed class LayeringTests
{
    private const string Config = "Configuration";
    private const string Model = "Configuration/Model";

    // A per-route stage's declaration (Pipeline's IRouteStage) and its hand-over reason (Observability).
    private const string Declares = "Pipeline";

    /// <summary>THE table: folder → the folders it may use, each beyond the usual with why.</summary>
    private static readonly Dictionary<string, string[]> MayUse = new(StringComparer.Ordinal)
    {
        // The entry point only hands the command line to the CLI.
        [""] = ["Cli"],

        // The settings records and the config file's tree: the floor.
        // Why Configuration (for Yaml and Validation): errors are reported as ConfigErrors, with ConfigLines' line numbers.
        ["Configuration/Yaml"] = [Config],
        // Why LoadBalancing: ClusterSettings' default policy is LoadBalancing's own name constant, not a copy.
        // Why Headers: header rules are held parsed (ValueTemplate), so a bad variable is a config error with its line.
        [Model] = ["Headers", "LoadBalancing"],
        ["Configuration/Validation"] = [Config, Model],
        // Why LoadBalancing: the catalogue's allowed policy names are LoadBalancing's own.
        // Why Headers: the page variables it documents are the template parser's own list.
        ["Configuration/Catalogue"] = [Config, Model, "Headers", "LoadBalancing"],
        // Why the concerns: the binders that turn settings into runtime objects (clusters' health
        // and balancing policies, listeners' certificates, ACME) still live here, not with their
        // concern (IConfigRuntimeBuilder is the seam to move them through).
        [Config] = [Model, "Configuration/Validation", "Configuration/Yaml", "Forwarding", "Headers", "Health", "LoadBalancing", "Tls", "Tls/Acme"],

        // Concerns.
        // Why Tls: backend connections are TLS clients (BackendTls).
        // Why Headers: the route's request header rules are one of the YARP transforms Forwarding runs.
        ["Forwarding"] = [Config, Model, Declares, "Headers", "Observability", "Tls"],
        // Why Forwarding: whose fault a failed forward was is decided once, by Forwarding's FailureCauses.
        ["Health"] = [Config, Model, "Forwarding"],
        // Why Forwarding: the consistent-hash key reads the client address as Forwarding resolves it.
        ["LoadBalancing"] = [Config, "Forwarding"],
        // Why Forwarding: `match.clientIps` reads the client address as Forwarding resolves it.
        // Why Headers: redirect targets and rewritten paths are header-rule templates (ValueTemplate), one language of variables.
        ["Routing"] = [Config, Model, Declares, "Forwarding", "Headers", "Observability"],
        // Why Forwarding: a variable's client address is the one Forwarding resolves.
        ["Headers"] = [Config, Model, Declares, "Forwarding", "Observability"],
        ["Cors"] = [Config, Model, Declares, "Observability"],
        // Why Forwarding: a copy carries the forwarded fields the route's backend gets, by Forwarding's one rule;
        // why Routing: and the target and Host the route's rewrite gives its backend (RewrittenTarget).
        ["Mirroring"] = [Config, Model, Declares, "Forwarding", "Observability", "Routing"],
        // Why Forwarding: pages are written by its ErrorPage, for the client address it resolves.
        // Why Compression: a backend error's body is dropped through its deferred response body.
        ["Pages"] = ["Compression", Config, Model, Declares, "Forwarding", "Observability"],
        ["Compression"] = [Config, Model, Declares, "Observability"],
        // Why Compression: a rewritten body is encoded again in the backend's coding with its encoders (ContentCodings, WriteOnlyStream).
        ["BodyRewrite"] = ["Compression", Config, Model, Declares, "Observability"],
        // Why Compression: the cache stores compressed variants (and uses its response-body wrappers).
        // Why Auth: a request the auth stage let in counts as authorized (RFC 9111 §3.5), through its request feature.
        // Why Routing: a key with the device class (`cache.key.device`) takes the class routing classified (ClientDevice).
        // Why Forwarding: a stale response that must be revalidated, its origin unreachable, gets Portico's own 504 page (ErrorPage).
        // Why Redis: with a `redis` section the store has a shared tier there, and purges reach every instance over its pub/sub.
        ["Caching"] = ["Auth", "Compression", Config, Model, Declares, "Forwarding", "Observability", "Redis", "Routing"],
        ["Security"] = [Config, Model, Declares, "Forwarding", "Observability", "Security/Desync", "Security/Limits"],
        // Why Security: a framing violation is logged and counted as the guard's refusals are (GuardLog, GuardMetrics).
        // Why Transport: a refused request's connection closes lingering (ILingeringCloseFeature).
        ["Security/Desync"] = [Config, Model, "Security", "Transport"],
        ["Security/Limits"] = [],
        // Why Compression: a request body in a content coding is decoded for inspection with its decoders (BodyCodings).
        ["Security/Waf"] = ["Compression", Config, Model, Declares, "Forwarding", "Observability"],
        // Why Security: a refusal is written as the guard writes its own (Refusal).
        // Why Redis: with a `redis` section, permits are counted across instances through the shared connection.
        ["RateLimiting"] = [Config, Model, Declares, "Forwarding", "Observability", "Redis", "Security"],
        // Why Configuration/Yaml: a key file is YAML read with line numbers as the config is.
        // Why RateLimiting: failed attempts are counted in the rate limiter's store.
        // Why Redis: with a `redis` section the session key ring is kept there, for every instance.
        ["Auth"] = [Config, "Configuration/Yaml", Model, Declares, "Forwarding", "Observability", "RateLimiting", "Redis"],
        // Why Redis: with a `redis` section the instances share the session ticket keys there.
        ["Tls"] = [Config, Model, "Observability", "Redis", "Tls/Acme"],
        // Why Tls: an issued certificate is a ServerCertificate, stored and read as Tls's certificate files.
        // Why Redis: with a `redis` section the instances share the account, certificates, order lock and challenges there.
        ["Tls/Acme"] = [Config, Model, "Redis", "Tls"],
        ["Transport"] = [],
        // The one shared Redis connection (several instances as one); concerns keep their
        // per-instance state and use Redis through its small API when a `redis` section exists.
        ["Redis"] = [Config, Model],
        // Destinations found by DNS go to Configuration's DiscoveredDestinations, which hands them to YARP with the clusters.
        ["Discovery"] = [Config, Model],
        // Why the concerns: the access log and /metrics name each concern's outcome and meter.
        ["Observability"] = ["Caching", "Compression", Config, "Cors", Model, "Forwarding", "Security", "Tls"],
        // Why the concerns: the admin API shows and drives them (cache purge, drains, certificates,
        // maintenance switches); Cli for the version it reports; FastPath for each route's
        // fast-path verdict; Headers to tell a templated page from a literal one and to show a
        // route's redirect and rewrite templates as written; Redis for the shared connection's
        // state; Tls/Acme for where each ACME host's renewal stands.
        ["Admin"] = ["Caching", "Cli", Config, Model, "FastPath", "Headers", "Health", "LoadBalancing", "Observability", "Pages", "Redis", "Tls", "Tls/Acme"],

        // Composition.
        // Why Transport: the connection stages' list puts HalfClosedConnection in front of Kestrel's HTTP/1.x processing.
        ["Pipeline"] = ["Auth", "BodyRewrite", "Caching", "Compression", Config, "Cors", "Headers", Model, "FastPath", "Forwarding", "Mirroring", "Observability", "Pages", "RateLimiting", "Routing", "Security", "Security/Waf", "Tls", "Transport"],
        // The fast path runs the stages it honours itself, on raw bytes, for the routes whose
        // stages all say so (Pipeline's RouteStages). Why LoadBalancing: the consistent-hash
        // policy's name, for the clusters whose policy reads the request. Why Headers: the header
        // rules' value templates, rendered by the same rule; why Tls: the HSTS entry for a host and
        // the client certificate's fields, as the TLS stage computes them; why RateLimiting and
        // Security: the route's rate-limit store, key and fields, and the guard's refusal log line.
        ["FastPath"] = ["Caching", "Compression", Config, Model, "Forwarding", "Headers", "Health", "LoadBalancing", "Observability", "Pipeline", "RateLimiting", "Routing", "Security", "Security/Desync", "Tls", "Transport"],
        ["Hosting"] = ["Admin", "Auth", "BodyRewrite", "Caching", "Compression", Config, "Cors", "Discovery", "Headers", Model, "FastPath", "Forwarding", "Health", "LoadBalancing", "Mirroring", "Observability", "Pages", "Pipeline", "RateLimiting", "Redis", "Routing", "Security", "Security/Waf", "Tls", "Transport"],
        // Why Configuration/Catalogue: `portico schema` prints the schema the catalogue makes.
        // Why the model: `run` tries the listeners' and admin addresses before it starts (BindCheck).
        ["Cli"] = [Config, "Configuration/Catalogue", Model, "Hosting"],
    };

    [Fact]
    public void Every_folder_is_in_the_table()
    {
        var missing = SourceTree.Src.TypesByFolder.Keys.Where(folder => !MayUse.ContainsKey(folder)).Order(StringComparer.Ordinal).ToList();
        var gone = MayUse.Keys.Where(folder => !SourceTree.Src.TypesByFolder.ContainsKey(folder)).Order(StringComparer.Ordinal).ToList();

        Assert.True(missing.Count == 0, "src/Portico folders the layering table does not list: " + string.Join(", ", missing));
        Assert.True(gone.Count == 0, "the layering table lists folders src/Portico no longer has: " + string.Join(", ", gone));
    }

    [Fact]
    public void Each_folder_uses_only_the_folders_the_table_allows()
    {
        var forbidden = FolderImports.Of(SourceTree.Src)
            .Where(use => MayUse.TryGetValue(use.Key.From, out var allowed) && !allowed.Contains(use.Key.To))
            .Select(use => $"{Name(use.Key.From)} uses {Name(use.Key.To)} ({use.Value})")
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(forbidden.Count == 0, "uses the layering table does not allow (tests/Portico.Tests/Architecture/LayeringTests.cs):\n" + string.Join("\n", forbidden));
    }

    [Fact]
    public void Every_allowance_in_the_table_is_used()
    {
        var used = FolderImports.Of(SourceTree.Src).Keys.ToHashSet();
        var unused = MayUse
            .SelectMany(entry => entry.Value.Select(to => (From: entry.Key, To: to)))
            .Where(edge => !used.Contains(edge))
            .Select(edge => $"{Name(edge.From)} → {Name(edge.To)}")
            .ToList();

        Assert.True(unused.Count == 0, "allowed in the layering table but no longer used (remove them): " + string.Join(", ", unused));
    }

    private static string Name(string folder) => folder.Length == 0 ? "(src/Portico)" : folder;
}
