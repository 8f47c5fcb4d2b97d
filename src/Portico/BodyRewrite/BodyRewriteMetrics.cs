using System.Diagnostics.Metrics;

namespace Portico.BodyRewrite;

/// <summary>Meter "Portico.BodyRewrite": responses rewritten (or left alone, and why), substitutions, bytes in and out, and the text held back, per route.</summary>
internal sealed class BodyRewriteMetrics
{
    public const string MeterName = "Portico.BodyRewrite";

    private readonly Counter<long> _responses;
    private readonly Counter<long> _substitutions;
    private readonly Counter<long> _bytesIn;
    private readonly Counter<long> _bytesOut;
    private readonly Histogram<long> _held;

    public BodyRewriteMetrics(IMeterFactory factory)
    {
        var meter = factory.Create(MeterName);
        _responses = meter.CreateCounter<long>("portico.body_rewrite.responses", "{response}", "Responses of a route's media types, by route and outcome (rewritten, charset, coding, no_transform)");
        _substitutions = meter.CreateCounter<long>("portico.body_rewrite.substitutions", "{substitution}", "Matches replaced, by route");
        _bytesIn = meter.CreateCounter<long>("portico.body_rewrite.input", "By", "Body bytes read to rewrite (after decoding any content coding), by route");
        _bytesOut = meter.CreateCounter<long>("portico.body_rewrite.output", "By", "Body bytes the rewriting produced (before any content coding), by route");
        _held = meter.CreateHistogram<long>("portico.body_rewrite.held", "{char}", "The most characters one response's rewriting held back between reads, by route: fewer than the longest match a rule can make");
    }

    public void Rewritten(string route, RewritingStream body)
    {
        var tag = new KeyValuePair<string, object?>("route", route);
        _responses.Add(1, tag, new("outcome", "rewritten"));
        _substitutions.Add(body.Rewriter.Substitutions, tag);
        _bytesIn.Add(body.BytesIn, tag);
        _bytesOut.Add(body.BytesOut, tag);
        _held.Record(body.Rewriter.LargestHeld, tag);
    }

    public void LeftAlone(string route, string why) => _responses.Add(1, new("route", route), new("outcome", why));
}
