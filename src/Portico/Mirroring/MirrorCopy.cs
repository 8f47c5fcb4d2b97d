using Microsoft.AspNetCore.Http;
using Portico.Configuration.Model;
using Portico.Forwarding;
using Portico.Routing;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Portico.Mirroring;

/// <summary>
/// One request's copy for the shadow: what was taken from the client's request while it was
/// there (method, target, fields, the destination the shadow cluster's balancing chose) and,
/// once read, its body. Nothing here refers to the HttpContext, which is reused after the
/// client's request ends, while the copy may still wait in the queue.
/// </summary>
internal sealed class MirrorCopy(string route, MirrorSettings settings, ClusterState cluster, DestinationState destination, string method, Uri target, string? host, List<KeyValuePair<string, string?[]>> fields)
{
    /// <summary>The field a shadow can tell a copy by (and so, for example, skip side effects).</summary>
    public const string MarkerField = "X-Portico-Mirror";

    private static readonly UriCreationOptions Verbatim = new() { DangerousDisablePathAndQueryCanonicalization = true };

    // RFC 9110 §7.6.1: hop-by-hop fields describe the client's connection, not the copy's; the
    // framing is the copy's own (its body is whole), and 100-continue is not the shadow's to ask
    // for. The forwarded fields are the ones the route's backend gets, by Forwarding's one rule.
    private static readonly HashSet<string> Dropped = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Transfer-Encoding", "Upgrade", "Trailer",
        "Host", "Content-Length", "Expect", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded",
    };

    public string Route => route;

    public MirrorSettings Settings => settings;

    public ClusterState Cluster => cluster;

    public DestinationState Destination => destination;

    /// <summary>The body, or null when the request has none.</summary>
    public byte[]? Body { get; set; }

    public int BodyLength { get; set; }

    /// <summary>
    /// Takes the request's method, target (the query verbatim, as Forwarding/RawQueryTransform
    /// sends it to the route's backend; the rewritten one on a route with a rewrite) and fields,
    /// with the forwarded fields the backend gets,
    /// bound for <paramref name="destination"/>.
    /// </summary>
    public static MirrorCopy Capture(HttpContext context, RouteSettings route, MirrorSettings settings, ProxySettings proxy, ClusterState cluster, DestinationState destination)
    {
        var request = context.Request;
        var connectionOptions = request.Headers.Connection.SelectMany(l => (l ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray();
        var fields = new List<KeyValuePair<string, string?[]>>(request.Headers.Count);
        foreach (var (name, values) in request.Headers)
        {
            if (!name.StartsWith(':') && !Dropped.Contains(name) && !connectionOptions.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                fields.Add(new(name, values.ToArray()));
            }
        }

        using (var forwarded = new HttpRequestMessage())
        {
            ForwardedHeadersTransform.Apply(context, forwarded.Headers, proxy);
            fields.AddRange(forwarded.Headers.Select(h => new KeyValuePair<string, string?[]>(h.Key, h.Value.ToArray<string?>())));
        }

        // The route's rewrite, when it has one, gives the target and Host its backend gets (Routing/RewriteTransform).
        var rewritten = context.Features.Get<RewrittenTarget>();
        var target = rewritten?.PathAndQuery is { } pathAndQuery
            ? new Uri(RequestUtilities.MakeDestinationAddress(destination.Model.Config.Address, PathString.Empty, QueryString.Empty).AbsoluteUri.TrimEnd('/') + pathAndQuery, Verbatim)
            : new Uri(RequestUtilities.MakeDestinationAddress(destination.Model.Config.Address, request.Path, QueryString.Empty).AbsoluteUri + request.QueryString.Value, Verbatim);
        var host = rewritten?.Host ?? (route.PreserveHost ? request.Headers.Host.ToString() : null);
        return new MirrorCopy(route.Id, settings, cluster, destination, request.Method, target, string.IsNullOrEmpty(host) ? null : host, fields);
    }

    /// <summary>The copy as a request to the shadow, in the shadow cluster's HTTP version.</summary>
    public HttpRequestMessage ToMessage()
    {
        var http = Cluster.Model.Config.HttpRequest;
        var message = new HttpRequestMessage(new HttpMethod(method), target)
        {
            Version = http?.Version ?? System.Net.HttpVersion.Version11,
            VersionPolicy = http?.VersionPolicy ?? HttpVersionPolicy.RequestVersionOrLower,
        };
        if (Body is not null)
        {
            message.Content = new ByteArrayContent(Body, 0, BodyLength);
        }

        foreach (var (name, values) in fields)
        {
            if (!message.Headers.TryAddWithoutValidation(name, values))
            {
                message.Content?.Headers.TryAddWithoutValidation(name, values);
            }
        }

        // The client's Host when the route preserves it; otherwise the destination's, from the target.
        if (host is not null)
        {
            message.Headers.Host = host;
        }

        message.Headers.TryAddWithoutValidation(MarkerField, "1");
        return message;
    }
}
