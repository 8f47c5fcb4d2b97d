using System.Collections.Frozen;
using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;

namespace Portico.Compression;

/// <summary>
/// The declaration of <see cref="CompressionMiddleware"/>: it encodes forwarded responses. The
/// fast path does it on HTTP/1.1 (FastFields.Compress, FastCodingHead, FastEncoder, with the rules
/// of <see cref="ResponseEncoding"/>); the route's HTTP/2 requests that would be forwarded are
/// handed over, since an encoded body would reach the stream without the origin's trailers, which
/// the full pipeline passes on over HTTP/2. A header rule that names a field compression reads or writes keeps the route
/// on the full pipeline when forwarding: the two run in an order there (the request's
/// Accept-Encoding is set before the request rules, the response's fields before the response
/// rules) that the fast path does not repeat. A cache hit costs compression nothing (the cache,
/// outside it, stores the encoded variants), so a cached route's fresh hits take the fast path;
/// its misses take it on HTTP/1.1 too, where the fast path's miss store records the encoder's
/// output under the head compression made (FastPath/FastMiss, <see cref="ResponseEncoding.Encode"/>).
/// </summary>
internal sealed class CompressionStage : IRouteStage
{
    private static readonly FrozenSet<string> RequestFields = FrozenSet.Create(StringComparer.OrdinalIgnoreCase, "Accept-Encoding");

    private static readonly FrozenSet<string> ResponseFields = FrozenSet.Create(StringComparer.OrdinalIgnoreCase, "Content-Encoding", "Vary", "ETag", "Accept-Ranges");

    public IReadOnlyList<SettingName> Settings { get; } = [SettingName.Of<RouteSettings>(nameof(RouteSettings.Compression))];

    public StageVerdict Declare(RouteSettings route, PorticoSettings settings)
        => route.Compression is null ? StageVerdict.NotApplied
            : Names(route.Headers) || Names(settings.Headers) ? StageVerdict.FullPipelineWhenForwarding(HandOverReason.Compression)
            : StageVerdict.HonouredOnHttp1(HandOverReason.Compression, storedAsMade: true);

    private static bool Names(HeaderRulesSettings? rules)
        => rules is not null && (rules.Request.Any(r => RequestFields.Contains(r.Name)) || rules.Response.Any(r => ResponseFields.Contains(r.Name)));
}
